// Health of the Redis broker's connections: up, down or still starting, from ioredis's events.
// Commands wait for the first connection but fail at once while Redis is known to be down, so a
// publish during an outage rejects quickly instead of queueing unseen.
import type { Cluster, Redis } from 'ioredis';

type Conn = Redis | Cluster;

type ConnState = 'starting' | 'up' | 'down';

export class RedisHealth {
  private readonly states = new Map<Conn, ConnState>();
  private readonly waiters = new Set<() => void>();
  private lastError: Error | undefined;
  private closed = false;

  /** `onReady` runs after each (re)connection of a watched connection. */
  constructor(private readonly onReady: (conn: Conn) => void) {}

  /** Tracks `conn`; with `own`, also takes its error events (which ioredis would otherwise log). */
  watch(conn: Conn, own: boolean): void {
    this.states.set(conn, conn.status === 'ready' ? 'up' : 'starting');
    conn.on('ready', () => {
      this.states.set(conn, 'up');
      this.wake();
      this.onReady(conn);
    });
    const down = () => {
      if (conn.status === 'ready') return;
      this.states.set(conn, 'down');
      this.wake();
    };
    conn.on('close', down);
    conn.on('end', down);
    if (own) conn.on('error', (err: Error) => (this.lastError = err));
  }

  /** False once closed, and while any connection is down; true while the first attempt runs. */
  get healthy(): boolean {
    if (this.closed) return false;
    for (const s of this.states.values()) if (s === 'down') return false;
    return true;
  }

  isUp(conn: Conn): boolean {
    return !this.closed && this.states.get(conn) === 'up';
  }

  /**
   * Resolves when every connection is up. While a first connection attempt is under way, waits
   * for it; when Redis is known to be down (or the broker closed), rejects at once.
   */
  usable(): Promise<void> {
    const first = this.check();
    if (first === 'ok') return Promise.resolve();
    if (first instanceof Error) return Promise.reject(first);
    return new Promise((resolve, reject) => {
      const w = () => {
        const now = this.check();
        if (now === 'wait') return;
        this.waiters.delete(w);
        if (now === 'ok') resolve();
        else reject(now);
      };
      this.waiters.add(w);
    });
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private check(): 'ok' | 'wait' | Error {
    if (this.closed) return new Error('the redis broker is closed');
    const states = [...this.states.values()];
    if (states.every((s) => s === 'up')) return 'ok';
    if (states.includes('down')) return new Error(`redis is unreachable${this.lastError ? ` (${this.lastError.message})` : ''}`);
    return 'wait';
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
