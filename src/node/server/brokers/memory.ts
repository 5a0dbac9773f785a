// The in-process broker: offsets, a bounded history ring per channel and local fan-out. Nothing
// survives the process: a restart gives every channel a new epoch, which subscribers see as a gap.
import { randomBytes } from 'node:crypto';
import type { Broker, BrokerListener, BrokerMessage, HistoryOptions, HistoryResult, Payload, SignalListener } from './types.js';

interface Stored {
  message: BrokerMessage;
  at: number;
}

interface ChannelState {
  epoch: string;
  top: number;
  ring: Stored[];
  /** Index of the oldest entry in `ring` (ring is used as a queue). */
  head: number;
  ttl: number;
  lastPublish: number;
}

export interface MemoryBrokerOptions {
  /**
   * Bound on remembered publish ids. A retried id is recognised while it is among the newest
   * `maxDedupIds / 2` ids and younger than the history ttl (at least 60 s). Default: 100000.
   */
  maxDedupIds?: number;
}

class MemoryBroker implements Broker {
  readonly healthy = true;
  private readonly channels = new Map<string, ChannelState>();
  private readonly listeners = new Map<string, Set<BrokerListener>>();
  private readonly signals = new Map<string, Set<SignalListener>>();
  /**
   * Remembered publish ids in two generations: a lookup checks both, and when the newer one holds
   * half the window or is older than the de-duplication ttl, the older is dropped whole. O(1) per
   * publish, no object or timer per id (the stored message carries epoch and offset).
   */
  private ids = new Map<string, BrokerMessage>();
  private oldIds = new Map<string, BrokerMessage>();
  private idsSince = Date.now();
  private idsTtl = 60_000;
  private readonly maxIds: number;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(options: MemoryBrokerOptions) {
    this.maxIds = options.maxDedupIds ?? 100_000;
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  async publish(channel: string, payload: Payload, options: { id?: string | undefined; history: HistoryOptions }) {
    const now = Date.now();
    const key = options.id === undefined ? undefined : `${channel}\u0000${options.id}`;
    if (key !== undefined) {
      const prior = this.ids.get(key) ?? this.oldIds.get(key);
      if (prior && this.channels.get(channel)?.epoch === prior.epoch) return { epoch: prior.epoch, offset: prior.offset };
    }
    const state = this.channel(channel);
    const message: BrokerMessage = { channel, epoch: state.epoch, offset: ++state.top, payload };
    state.ring.push({ message, at: now });
    state.ttl = options.history.ttl;
    state.lastPublish = now;
    this.trim(state, options.history.size, now);
    if (key !== undefined) {
      this.idsTtl = Math.max(options.history.ttl, 60_000);
      if (this.ids.size >= this.maxIds / 2 || now - this.idsSince > this.idsTtl) this.rotateIds(now);
      this.ids.set(key, message);
    }
    const set = this.listeners.get(channel);
    if (set) for (const listener of set) listener(message);
    return { epoch: state.epoch, offset: message.offset };
  }

  async history(channel: string, since?: { epoch: string; offset: number }): Promise<HistoryResult> {
    const state = this.channel(channel);
    const now = Date.now();
    this.trim(state, Infinity, now);
    const base = { epoch: state.epoch, top: state.top };
    if (!since) return { ...base, messages: [] };
    if (since.epoch !== state.epoch || since.offset > state.top) return { ...base, messages: [], gap: 'history-lost' };
    if (since.offset === state.top) return { ...base, messages: [] };
    const oldest = state.ring[state.head]?.message.offset ?? state.top + 1;
    if (oldest > since.offset + 1) return { ...base, messages: [], gap: 'history-trimmed' };
    const messages: BrokerMessage[] = [];
    for (let i = state.head + (since.offset + 1 - oldest); i < state.ring.length; i++) messages.push(state.ring[i]!.message);
    return { ...base, messages };
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
      state = { epoch: randomBytes(6).toString('base64url'), top: 0, ring: [], head: 0, ttl: 0, lastPublish: Date.now() };
      this.channels.set(name, state);
    }
    return state;
  }

  private trim(state: ChannelState, size: number, now: number): void {
    let live = state.ring.length - state.head;
    while (live > 0 && (live > size || now - state.ring[state.head]!.at > state.ttl)) {
      state.head++;
      live--;
    }
    // Compact now and then so the array does not grow without bound.
    if (state.head > 1024 && state.head * 2 > state.ring.length) {
      state.ring = state.ring.slice(state.head);
      state.head = 0;
    }
  }

  private rotateIds(now: number): void {
    this.oldIds = this.ids;
    this.ids = new Map();
    this.idsSince = now;
  }

  /** Forgets idle channels whose history expired; they come back with a new epoch. */
  private sweep(): void {
    const now = Date.now();
    for (const [name, state] of this.channels) {
      this.trim(state, Infinity, now);
      if (state.ring.length === state.head && now - state.lastPublish > state.ttl && !this.listeners.has(name)) {
        this.channels.delete(name);
      }
    }
    // Without publishes nothing rotates on publish: age the ids out here too.
    if (now - this.idsSince > this.idsTtl && this.ids.size + this.oldIds.size > 0) this.rotateIds(now);
  }
}

/** The default broker: one process, history in memory. */
export function memoryBroker(options: MemoryBrokerOptions = {}): Broker {
  return new MemoryBroker(options);
}
