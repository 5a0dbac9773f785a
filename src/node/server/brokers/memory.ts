// The in-process broker: offsets, a bounded history ring per channel and local fan-out. Nothing
// survives the process: a restart gives every channel a new epoch, which subscribers see as a gap.
import { randomBytes } from 'node:crypto';
import { HistoryBudget, storedBytes } from './history-budget.js';
import { IdWindow } from './id-window.js';
import type {
  Broker,
  BrokerListener,
  BrokerMessage,
  HistoryPage,
  HistoryReadOptions,
  HistoryResult,
  Payload,
  PublishOptions,
  SignalListener,
} from './types.js';

interface Stored {
  message: BrokerMessage;
  at: number;
  /** Its share of the history budget (`storedBytes`). */
  bytes: number;
}

interface ChannelState {
  epoch: string;
  top: number;
  ring: Stored[];
  /** Index of the oldest entry in `ring` (ring is used as a queue). */
  head: number;
  ttl: number;
  lastPublish: number;
  /** Bytes of its history, counted by the global budget. */
  bytes: number;
}

export interface MemoryBrokerOptions {
  /**
   * Bound on remembered publish ids. A retried id is recognised while it is among the newest
   * `maxDedupIds / 2` ids and younger than the history ttl (at least 60 s). Default: 100000.
   */
  maxDedupIds?: number;
  /**
   * Bytes of history kept across all channels (payloads counted at two bytes per character, plus
   * per-message overhead). Past it, the channel published to least recently loses its history
   * first; a subscriber resuming from it gets `gap`. Default: 134217728 (128 MiB).
   */
  maxHistoryBytes?: number;
  /**
   * ms a channel's epoch and top offset are kept after its last publish, once its history is
   * empty and nobody listens: a subscriber resuming within it gets no false `gap`. The same default
   * as the Redis broker's `metaTtl`. Default: 86400000 (24 h).
   */
  metaTtl?: number;
  /** Bound on idle channels remembered this way (the least recently published go first). Default: 100000. */
  maxIdleChannels?: number;
}

class MemoryBroker implements Broker {
  readonly healthy = true;
  private readonly channels = new Map<string, ChannelState>();
  private readonly listeners = new Map<string, Set<BrokerListener>>();
  private readonly signals = new Map<string, Set<SignalListener>>();
  /** Publish ids stored lately, for de-duplication. */
  private readonly ids: IdWindow;
  private readonly budget: HistoryBudget<ChannelState>;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly metaTtl: number;
  private readonly maxIdle: number;

  constructor(options: MemoryBrokerOptions) {
    this.ids = new IdWindow(options.maxDedupIds ?? 100_000);
    this.metaTtl = options.metaTtl ?? 86_400_000;
    this.maxIdle = options.maxIdleChannels ?? 100_000;
    const budget = options.maxHistoryBytes ?? 128 * 1024 * 1024;
    if (!(budget > 0)) throw new Error(`memoryBroker: maxHistoryBytes must be a number above 0, got ${String(budget)}`);
    this.budget = new HistoryBudget(budget);
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  async publish(channel: string, payload: Payload, options: PublishOptions) {
    const now = Date.now();
    const id = options.id;
    const known = id === undefined ? undefined : this.channels.get(channel);
    if (known !== undefined) {
      const offset = this.ids.lookup(channel, known.epoch, options.publisher ?? '', id!);
      if (offset !== undefined) return { epoch: known.epoch, offset };
    }
    const state = this.channel(channel);
    const message: BrokerMessage = { channel, epoch: state.epoch, offset: ++state.top, payload };
    const bytes = storedBytes(payload);
    state.ring.push({ message, at: now, bytes });
    state.ttl = options.history.ttl;
    state.lastPublish = now;
    this.budget.added(state, bytes);
    this.trim(state, options.history.size, now);
    if (id !== undefined) this.ids.remember(channel, state.epoch, options.publisher ?? '', id, message.offset, options.history.ttl, now);
    const set = this.listeners.get(channel);
    if (set) for (const listener of set) listener(message);
    return { epoch: state.epoch, offset: message.offset };
  }

  async history(channel: string, since?: { epoch: string; offset: number }, options?: HistoryReadOptions): Promise<HistoryResult> {
    const state = this.channel(channel);
    const now = Date.now();
    this.trim(state, Infinity, now);
    const epoch = state.epoch;
    const top = state.top;
    if (!since) return { epoch, top, messages: [] };
    // Offset 0 has seen nothing: any epoch's messages from 1 are all new to it.
    if ((since.epoch !== epoch && since.offset !== 0) || since.offset > top) return { epoch, top, messages: [], gap: 'history-lost' };
    if (since.offset === top) return { epoch, top, messages: [] };
    const oldest = state.ring[state.head]?.message.offset ?? top + 1;
    if (oldest > since.offset + 1) return { epoch, top, messages: [], gap: 'history-trimmed' };
    const messages: BrokerMessage[] = [];
    const start = state.head + (since.offset + 1 - oldest);
    const end = options?.limit === undefined ? state.ring.length : Math.min(state.ring.length, start + Math.max(1, options.limit));
    for (let i = start; i < end; i++) messages.push(state.ring[i]!.message);
    return { epoch, top, messages };
  }

  async readBack(channel: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage> {
    const state = this.channel(channel);
    this.trim(state, Infinity, Date.now());
    const before = options.before ?? Infinity;
    const messages: BrokerMessage[] = [];
    // Offsets in the ring are consecutive: the entry below `before` is found by arithmetic.
    const oldest = state.ring[state.head]?.message.offset ?? state.top + 1;
    let i = Math.min(state.ring.length, state.head + Math.max(0, Math.min(before, state.top + 1) - oldest)) - 1;
    for (; i >= state.head && messages.length < options.limit; i--) messages.push(state.ring[i]!.message);
    messages.reverse();
    return { epoch: state.epoch, top: state.top, messages };
  }

  async subscribe(channel: string, listener: BrokerListener): Promise<void> {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
  }

  async unsubscribe(channel: string, listener: BrokerListener): Promise<void> {
    const set = this.listeners.get(channel);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.listeners.delete(channel);
  }

  signal(topic: string, data: string): void {
    const set = this.signals.get(topic);
    if (set) for (const listener of set) listener(data);
  }

  async onSignal(topic: string, listener: SignalListener): Promise<void> {
    let set = this.signals.get(topic);
    if (!set) this.signals.set(topic, (set = new Set()));
    set.add(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.listeners.clear();
    this.signals.clear();
  }

  private channel(name: string): ChannelState {
    let state = this.channels.get(name);
    if (!state) {
      state = { epoch: randomBytes(6).toString('base64url'), top: 0, ring: [], head: 0, ttl: 0, lastPublish: Date.now(), bytes: 0 };
      this.channels.set(name, state);
    }
    return state;
  }

  private trim(state: ChannelState, size: number, now: number): void {
    let live = state.ring.length - state.head;
    while (live > 0 && (live > size || now - state.ring[state.head]!.at > state.ttl)) {
      const gone = state.ring[state.head]!;
      // Released now, not at the next compaction: the budget counts what is really held.
      (state.ring as (Stored | undefined)[])[state.head++] = undefined;
      this.budget.dropped(state, gone.bytes);
      live--;
    }
    // Compact now and then so the array does not grow without bound.
    if (state.head > 1024 && state.head * 2 > state.ring.length) {
      state.ring = state.ring.slice(state.head);
      state.head = 0;
    }
  }

  /**
   * Frees the history of idle channels. A channel with nobody listening and nothing in history
   * keeps only its epoch and top offset (a few dozen bytes) for `metaTtl` after its last publish,
   * so a subscriber that resumes later hears of no false gap; past `metaTtl`, or past
   * `maxIdleChannels` such channels (the least recently published first), it is forgotten and comes
   * back with a new epoch, which a resuming subscriber sees as `history-lost`.
   */
  sweep(now = Date.now()): void {
    const idle: [string, ChannelState][] = [];
    for (const [name, state] of this.channels) {
      this.trim(state, Infinity, now);
      if (state.ring.length !== state.head || this.listeners.has(name)) continue;
      if (state.ring.length > 0) {
        state.ring = [];
        state.head = 0;
      }
      if (now - state.lastPublish > Math.max(this.metaTtl, state.ttl)) this.forget(name, state);
      else idle.push([name, state]);
    }
    if (idle.length > this.maxIdle) {
      idle.sort((a, b) => a[1].lastPublish - b[1].lastPublish);
      for (let i = 0; i < idle.length - this.maxIdle; i++) this.forget(idle[i]![0], idle[i]![1]);
    }
    this.ids.age(now);
  }

  private forget(name: string, state: ChannelState): void {
    this.channels.delete(name);
    this.budget.forget(state);
  }

  /** Channels known (with history, listeners, or only their epoch and top): for tests and health. */
  get channelCount(): number {
    return this.channels.size;
  }
}

/** The default broker: one process, history in memory. */
export function memoryBroker(options: MemoryBrokerOptions = {}): Broker {
  return new MemoryBroker(options);
}
