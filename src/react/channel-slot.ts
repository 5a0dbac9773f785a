// One mounted hook's subscription, as an external store for useSyncExternalStore.
//
// React runs an effect, its cleanup and the effect again when StrictMode simulates an unmount, and
// the cleanup again on a real unmount. The slot turns that into one subscription per mounted
// component: a cleanup only schedules the unsubscribe (a microtask later); an effect that runs
// again before then for the same client, channel and options keeps the subscription it had.
import type { Subscription } from '../core/subscription.js';
import type { AnywireClient, PresenceMember } from './types.js';

/** What a hook renders from. Replaced (never mutated) on change, as useSyncExternalStore needs. */
export interface SlotSnapshot {
  state: Subscription['state'];
  error: Error | undefined;
  members: readonly PresenceMember[];
}

const NO_MEMBERS: readonly PresenceMember[] = Object.freeze([]);
/** Before the first effect, and during server-side rendering: nothing is subscribed yet. */
export const INITIAL: SlotSnapshot = Object.freeze({ state: 'subscribing', error: undefined, members: NO_MEMBERS });

/** The members of `sub.presence()` and its events, as the presence contract names them. */
interface PresenceSubscription {
  presence?: () => Promise<PresenceMember[]>;
  on(event: 'join' | 'leave', fn: (ctx: { member: PresenceMember }) => void): unknown;
  off(event: 'join' | 'leave', fn: (ctx: { member: PresenceMember }) => void): unknown;
}

type PresenceEvent = ['join' | 'leave', PresenceMember];

export class ChannelSlot {
  #sub: Subscription | undefined;
  #client: AnywireClient | undefined;
  #key = '';
  #released = true;
  #snapshot = INITIAL;
  readonly #listeners = new Set<() => void>();
  #detach: (() => void) | undefined;
  /** Presence events that arrived while `sub.presence()` was pending; applied after it. */
  #buffered: PresenceEvent[] | undefined;
  #fetch = 0;

  /** @param presence whether to keep the channel's member list (usePresence) */
  constructor(private readonly presence: boolean) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): SlotSnapshot => this.#snapshot;

  /** False between a cleanup and the next effect: a message then is not the component's. */
  get active(): boolean {
    return !this.#released;
  }

  /** The effect: subscribe, or keep the subscription a cleanup just scheduled to end. */
  acquire(client: AnywireClient, key: string, open: () => Subscription): void {
    this.#released = false;
    if (this.#sub && this.#client === client && this.#key === key) return;
    this.#end();
    this.#client = client;
    this.#key = key;
    const sub = open();
    this.#sub = sub;
    this.#watch(client, sub);
  }

  /** The cleanup: unsubscribe unless the effect runs again first (StrictMode, Fast Refresh). */
  release(): void {
    this.#released = true;
    queueMicrotask(() => {
      if (this.#released) this.#end();
    });
  }

  #end(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    this.#client = undefined;
    this.#buffered = undefined;
    this.#fetch++;
  }

  #watch(client: AnywireClient, sub: Subscription): void {
    let error: Error | undefined;
    const update = () => this.#set({ state: stateOf(client, sub), error });
    const onError = (err: Error) => {
      error = err;
      update();
    };
    const onSubscribed = () => {
      update();
      if (this.presence) this.#refresh(sub);
    };
    sub.on('subscribed', onSubscribed);
    sub.on('error', onError);
    client.on('state', update);
    const detach: (() => unknown)[] = [
      () => sub.off('subscribed', onSubscribed),
      () => sub.off('error', onError),
      () => client.off('state', update),
    ];
    if (this.presence) {
      const p = sub as unknown as PresenceSubscription;
      const onJoin = ({ member }: { member: PresenceMember }) => this.#presenceEvent(['join', member]);
      const onLeave = ({ member }: { member: PresenceMember }) => this.#presenceEvent(['leave', member]);
      p.on('join', onJoin);
      p.on('leave', onLeave);
      detach.push(
        () => p.off('join', onJoin),
        () => p.off('leave', onLeave),
      );
    }
    this.#detach = () => detach.forEach((d) => d());
    // A new subscription (another channel) starts from scratch; a refused one may already say so.
    this.#set({ state: stateOf(client, sub), error: undefined, members: NO_MEMBERS });
  }

  /** After each confirmation (the first and after every reconnect): who is there now. */
  #refresh(sub: Subscription): void {
    const p = sub as unknown as PresenceSubscription;
    if (typeof p.presence !== 'function') {
      reportOnce('usePresence(): this client has no sub.presence(); the member list stays empty');
      return;
    }
    const fetch = ++this.#fetch;
    this.#buffered = [];
    // A client's presence() that throws instead of rejecting is reported the same way.
    const ask = p.presence;
    Promise.resolve()
      .then(() => ask.call(sub))
      .then(
        (list) => {
          if (fetch !== this.#fetch) return; // a newer fetch, or the subscription ended
          let members: readonly PresenceMember[] = list;
          for (const e of this.#buffered ?? []) members = apply(members, e);
          this.#buffered = undefined;
          this.#set({ members });
        },
        (err: Error) => {
          if (fetch !== this.#fetch) return;
          this.#buffered = undefined;
          this.#set({ error: err });
        },
      );
  }

  #presenceEvent(e: PresenceEvent): void {
    if (this.#buffered) this.#buffered.push(e);
    else this.#set({ members: apply(this.#snapshot.members, e) });
  }

  #set(change: Partial<SlotSnapshot>): void {
    const prev = this.#snapshot;
    const next = { ...prev, ...change };
    if (next.state === prev.state && next.error === prev.error && next.members === prev.members) return;
    this.#snapshot = next;
    for (const l of [...this.#listeners]) l();
  }
}

/** The contract's "back to 'subscribing' while reconnecting", read off the client's state too. */
function stateOf(client: AnywireClient, sub: Subscription): Subscription['state'] {
  return sub.state === 'subscribed' && client.state !== 'connected' ? 'subscribing' : sub.state;
}

function apply(members: readonly PresenceMember[], [kind, member]: PresenceEvent): readonly PresenceMember[] {
  const rest = members.filter((m) => m.id !== member.id);
  return kind === 'join' ? [...rest, member] : rest.length === members.length ? members : rest;
}

const reported = new Set<string>();
function reportOnce(message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  console.error(`anywire/react: ${message}`);
}
