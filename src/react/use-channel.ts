import { useCallback, useEffect, useInsertionEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Subscription } from '../core/subscription.js';
import { ChannelSlot, INITIAL, type SlotSnapshot } from './channel-slot.js';
import { useAnywireClient } from './context.js';
import { optionsKey } from './options-key.js';
import type { AnywireClient, ChannelResult, MessageHandler, SubscribeOptions } from './types.js';

const serverSnapshot = (): SlotSnapshot => INITIAL;

/** The subscription of one mounted hook; shared by useChannel and usePresence. */
export function useSlot<T>(
  hook: string,
  channel: string,
  handler: MessageHandler<T> | undefined,
  options: SubscribeOptions | undefined,
  presence: boolean,
): { client: AnywireClient; snapshot: SlotSnapshot } {
  const client = useAnywireClient(hook);
  const [slot] = useState(() => new ChannelSlot(presence));
  // The latest handler, without resubscribing when its identity changes (inline arrows).
  const handlerRef = useRef(handler);
  useInsertionEffect(() => {
    handlerRef.current = handler;
  });
  const key = `${channel}\u0000${optionsKey(options)}`;
  useEffect(() => {
    slot.acquire(client, key, () => {
      const deliver: MessageHandler<T> = (data, meta) => {
        if (slot.active) handlerRef.current?.(data, meta);
      };
      const subscribe = client.subscribe as (channel: string, handler: MessageHandler<T>, options?: SubscribeOptions) => Subscription<T>;
      return (
        options === undefined ? subscribe.call(client, channel, deliver) : subscribe.call(client, channel, deliver, options)
      ) as Subscription;
    });
    return () => slot.release();
    // `key` stands for `channel` and `options` by value, so an options object made anew on every
    // render does not resubscribe.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slot, client, key]);
  const snapshot = useSyncExternalStore(slot.subscribe, slot.getSnapshot, serverSnapshot);
  return { client, snapshot };
}

/**
 * Subscribes the component to `channel` while it is mounted: one subscription per mounted
 * component (StrictMode's double mount included), unsubscribed on unmount, `handler` always the
 * latest one passed (an inline arrow does not resubscribe). Nothing is subscribed while rendering
 * on the server. Options are compared by value: new options subscribe anew.
 *
 * @param channel the channel's name; a new name unsubscribes from the old one
 * @param handler called with each message and its `{ channel, offset }`; may be omitted
 * @param options passed to `client.subscribe()` (e.g. `{ rewind: 20 }`)
 * @example
 * const { publish, state } = useChannel<{ text: string }>('chat', (msg) => setLines((l) => [...l, msg.text]));
 */
export function useChannel<T = unknown>(channel: string, handler?: MessageHandler<T>, options?: SubscribeOptions): ChannelResult {
  const { client, snapshot } = useSlot('useChannel', channel, handler, options, false);
  const publish = useCallback((data: unknown) => client.publish(channel, data), [client, channel]);
  return { publish, state: snapshot.state, error: snapshot.error };
}
