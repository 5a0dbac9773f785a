// Broker signals on Redis: node-to-node hints that are never stored. A signal is a plain
// PUBLISH (SPUBLISH on a cluster) on `<prefix>signal:<topic>` (no braces, so it never meets a
// channel's `<prefix>{ch}:live`); every server listens on its pub/sub bus. Nothing goes through
// the publish script, the streams or the offsets, and a lost signal is not retried.
import type { LiveBus } from './redis-bus.js';
import type { SignalListener } from './types.js';

export class RedisSignals {
  /** Listeners by pub/sub channel name. */
  private readonly topics = new Map<string, Set<SignalListener>>();

  constructor(
    private readonly prefix: string,
    private readonly bus: () => Promise<LiveBus>,
  ) {}

  signal(topic: string, data: string): void {
    // Fire and forget: while Redis is down the command fails at once (no offline queue).
    this.bus().then(
      (b) => b.publish(this.channel(topic), data),
      () => {},
    );
  }

  /** Registers a listener; its channel is subscribed by `subscribe` (the bus keeps it across reconnections). */
  add(topic: string, listener: SignalListener): void {
    const name = this.channel(topic);
    let set = this.topics.get(name);
    if (!set) this.topics.set(name, (set = new Set()));
    set.add(listener);
  }

  async subscribe(topic: string): Promise<void> {
    await (await this.bus()).subscribe([this.channel(topic)]);
  }

  /** Hands a pub/sub message to its listeners; false when `name` is not a signal channel. */
  dispatch(name: string, data: Buffer): boolean {
    const set = this.topics.get(name);
    if (!set) return false;
    const text = data.toString();
    for (const listener of set) {
      try {
        listener(text);
      } catch {
        // a hint lost to one listener must not cost the others theirs
      }
    }
    return true;
  }

  clear(): void {
    this.topics.clear();
  }

  private channel(topic: string): string {
    return `${this.prefix}signal:${topic}`;
  }
}
