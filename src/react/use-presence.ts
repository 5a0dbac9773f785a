import { useSlot } from './use-channel.js';
import type { PresenceMember, SubscribeOptions } from './types.js';

/**
 * Who is on `channel` now, kept current: subscribes with `{ presence: data }` while mounted (one
 * subscription, as useChannel; without `data`, a plain subscription), reads `sub.presence()` on every confirmation (the first and after
 * each reconnect) and applies `join` and `leave` events. `[]` during server-side rendering and
 * until the first answer. The server must have presence on for the channel (`presence` option).
 *
 * @param channel the channel's name
 * @param data this client's presence data (e.g. `{ name: 'Ada' }`), compared by value
 * @example
 * const members = usePresence('room:1', { name: 'Ada' });
 * return <ul>{members.map((m) => <li key={m.id}>{String((m.data as { name?: string })?.name)}</li>)}</ul>;
 */
export function usePresence(channel: string, data?: unknown): readonly PresenceMember[] {
  // Every subscriber of a presence channel is a member; `presence` only carries its data.
  const options = data === undefined ? undefined : ({ presence: data } as unknown as SubscribeOptions);
  return useSlot('usePresence', channel, undefined, options, true).snapshot.members;
}
