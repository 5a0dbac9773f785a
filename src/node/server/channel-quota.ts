// `maxChannelsPerMinute`: how fast one identity may bring new channels into being by publishing.
// A channel counts as new when nobody published to it on this server in the current or the last
// window; each identity (without `authenticate`, each connection) has a counter of those per
// window. Memory: one counter per active publisher and the names published lately, both bounded.
import type { Identity } from './options.js';

const windowMs = 60_000;
/** Names remembered per window; past it the window turns early (a name may then count again). */
const maxNames = 200_000;
/** Publishers counted per window; past it the oldest counters are dropped. */
const maxKeys = 100_000;

interface Counter {
  window: number;
  count: number;
}

export class ChannelQuota {
  private current = new Set<string>();
  private previous = new Set<string>();
  private window = 0;
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly max: number | false) {}

  /**
   * False when `channel` is new and its publisher (`identity`, or the session when anonymous)
   * already created `max` this window. A channel published lately costs a Set lookup, nothing more.
   */
  allow(channel: string, identity: Identity, sessionId: string, now = Date.now()): boolean {
    if (this.max === false) return true;
    this.turn(now);
    if (this.current.has(channel)) return true;
    if (this.previous.has(channel)) {
      this.remember(channel);
      return true;
    }
    const key = quotaKey(identity, sessionId);
    let c = this.counters.get(key);
    if (!c || c.window !== this.window) {
      this.counters.delete(key);
      c = { window: this.window, count: 0 };
      this.counters.set(key, c);
      if (this.counters.size > maxKeys) this.counters.delete(this.counters.keys().next().value!);
    }
    if (c.count >= this.max) return false;
    c.count++;
    this.remember(channel);
    return true;
  }

  private remember(channel: string): void {
    this.current.add(channel);
    if (this.current.size > maxNames) this.rotate();
  }

  private turn(now: number): void {
    const w = Math.floor(now / windowMs);
    if (w === this.window) return;
    // Two windows on: what was published then is forgotten too.
    if (w > this.window + 1) this.current.clear();
    this.window = w;
    this.rotate();
    for (const [key, c] of this.counters) if (c.window !== w) this.counters.delete(key);
  }

  private rotate(): void {
    this.previous = this.current;
    this.current = new Set();
  }
}

/** The publisher's key: its identity's `id` (or its JSON), or the connection when anonymous. */
export function quotaKey(identity: Identity, sessionId: string): string {
  if (identity === null || identity === undefined) return 's:' + sessionId;
  const id = (identity as { id?: unknown }).id;
  if (typeof id === 'string' || typeof id === 'number') return 'i:' + String(id);
  let json: string | undefined;
  try {
    json = JSON.stringify(identity);
  } catch {
    json = undefined;
  }
  return json === undefined ? 's:' + sessionId : 'j:' + json.slice(0, 512);
}
