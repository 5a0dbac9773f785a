// The Redis broker's pub/sub side: which connection receives which pub/sub channel, and telling the
// broker when a channel's subscription was lost and when it is back (so it can hold live messages
// and fill the hole from history in between).
//
//   single Redis: one subscriber connection, SUBSCRIBE; the command connection PUBLISHes.
//   Redis Cluster: sharded pub/sub. One subscriber connection per primary that owns a subscribed
//   channel's slot, SSUBSCRIBE there; SPUBLISH reaches only that shard. A primary that dies (its
//   replica takes over) or a slot that moves (Redis pushes `sunsubscribe`) loses the channels it
//   carried: they are re-placed on the slot's new owner, with backoff, until it answers.
import type { Cluster, Redis, RedisOptions } from 'ioredis';

export interface BusHooks {
  message(name: string, data: Buffer): void;
  /** These names' subscriptions are gone: messages published now may never arrive. */
  lost(names: string[]): void;
  /** These names are subscribed again: what was published meanwhile must come from history. */
  restored(names: string[]): void;
}

export interface LiveBus {
  /** Subscribes; rejects when Redis cannot be reached (the names are then not kept). */
  subscribe(names: string[]): Promise<void>;
  unsubscribe(name: string): void;
  /** Fire-and-forget PUBLISH/SPUBLISH (signals); never throws. */
  publish(name: string, data: string): void;
  /** 'PUBLISH' or 'SPUBLISH': what the publish script uses for live fan-out. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  close(): Promise<void>;
}

/** Quits a connection politely when it is up, else drops it. */
export async function closeConnection(conn: Redis | Cluster): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect();
}

/** One Redis: a single subscriber connection; ioredis reconnects it, the broker resubscribes. */
export class SingleBus implements LiveBus {
  readonly publishCommand = 'PUBLISH';
  private readonly names = new Set<string>();

  constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
    private readonly hooks: BusHooks,
  ) {
    sub.on('messageBuffer', (name: Buffer, data: Buffer) => hooks.message(name.toString(), data));
    // Resubscription is ours, so that history catch-up runs after it, never before.
    sub.on('ready', () => {
      if (this.names.size === 0) return;
      const all = [...this.names];
      hooks.lost(all);
      this.sub.subscribe(...all).then(
        () => hooks.restored(all.filter((n) => this.names.has(n))),
        () => {}, // dropped again: the next 'ready' retries
      );
    });
  }

  async subscribe(names: string[]): Promise<void> {
    for (const n of names) this.names.add(n);
    try {
      await this.sub.subscribe(...names);
    } catch (err) {
      for (const n of names) this.names.delete(n);
      throw err;
    }
  }

  unsubscribe(name: string): void {
    if (!this.names.delete(name)) return;
    if (this.sub.status === 'ready') this.sub.unsubscribe(name).catch(() => {});
  }

  publish(name: string, data: string): void {
    this.cmd.publish(name, data).catch(() => {});
  }

  async close(): Promise<void> {
    this.names.clear();
    await closeConnection(this.sub);
  }
}

interface Placement {
  slot: number;
  /** The node key (host:port) whose subscriber connection carries it; undefined while lost. */
  node: string | undefined;
}

/** Redis Cluster: sharded pub/sub on a subscriber connection per primary. */
export class ShardedBus implements LiveBus {
  readonly publishCommand = 'SPUBLISH';
  private readonly names = new Map<string, Placement>();
  private readonly conns = new Map<string, Redis>();
  private repairing = false;
  private recheck = false;
  private closed = false;

  constructor(
    private readonly RedisClass: typeof Redis,
    private readonly cluster: Cluster,
    private readonly redisOptions: Omit<RedisOptions, 'replyMapping'>,
    private readonly hooks: BusHooks,
  ) {}

  async subscribe(names: string[]): Promise<void> {
    const fresh = names.filter((n) => !this.names.has(n));
    for (const n of fresh) this.names.set(n, { slot: keySlot(n), node: undefined });
    try {
      await this.placeAll(fresh, 3);
    } catch (err) {
      for (const n of fresh) if (this.names.get(n)?.node === undefined) this.names.delete(n);
      throw err;
    }
  }

  unsubscribe(name: string): void {
    const p = this.names.get(name);
    if (!p) return;
    this.names.delete(name);
    const conn = p.node === undefined ? undefined : this.conns.get(p.node);
    if (conn?.status === 'ready') conn.sunsubscribe(name).catch(() => {});
  }

  publish(name: string, data: string): void {
    this.cluster.spublish(name, data).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    this.names.clear();
    const conns = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(conns.map((c) => closeConnection(c)));
  }

  /** Places names on their slots' owners; retries a MOVED after a slot-map refresh. */
  private async placeAll(names: string[], attempts: number): Promise<void> {
    for (let i = 1; ; i++) {
      const todo = names.filter((n) => this.names.get(n)?.node === undefined);
      if (todo.length === 0) return;
      const results = await Promise.allSettled(todo.map((n) => this.place(n)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failed) return;
      if (i >= attempts || this.closed) throw failed.reason;
      await this.refreshSlots();
    }
  }

  private async place(name: string): Promise<void> {
    const p = this.names.get(name);
    if (!p) return;
    const node = this.owner(p.slot);
    if (node === undefined) throw new Error('no primary is known for this slot yet');
    const conn = this.conn(node);
    try {
      await settleWithin(conn.ssubscribe(name), placeTimeout);
    } catch (err) {
      // A node that never answers (gone, or its address taken by something that is not Redis) must
      // not hold the channel: drop a connection that never became ready, and let repair try again.
      if (this.conns.get(node) === conn && conn.status !== 'ready') {
        this.conns.delete(node);
        conn.disconnect();
      }
      throw err;
    }
    // Unsubscribed meanwhile: take the subscription back.
    if (this.names.get(name) !== p) {
      this.conns
        .get(node)
        ?.sunsubscribe(name)
        .catch(() => {});
      return;
    }
    p.node = node;
  }

  private owner(slot: number): string | undefined {
    return this.cluster.slots[slot]?.[0];
  }

  private conn(node: string): Redis {
    let conn = this.conns.get(node);
    if (conn) return conn;
    const colon = node.lastIndexOf(':');
    conn = new this.RedisClass({
      ...this.redisOptions,
      host: node.slice(0, colon),
      port: Number(node.slice(colon + 1)),
      // A subscriber connection is not reconnected: its channels are re-placed on whichever node
      // owns their slots by then (the old primary may be a replica now, or gone).
      retryStrategy: () => null,
      enableOfflineQueue: true,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      lazyConnect: false,
    });
    this.conns.set(node, conn);
    const c = conn;
    c.on('error', () => {}); // the loss is handled on 'end'; the broker's health watches the cluster
    c.on('smessageBuffer', (name: Buffer, data: Buffer) => this.hooks.message(name.toString(), data));
    c.on('moved', () => {
      // A slot moved away (Redis pushed `sunsubscribe`): find which of ours, re-place them.
      this.recheck = true;
      void this.repair();
    });
    c.on('end', () => {
      if (this.conns.get(node) !== c) return;
      this.conns.delete(node);
      const lost: string[] = [];
      for (const [n, p] of this.names) {
        if (p.node !== node) continue;
        p.node = undefined;
        lost.push(n);
      }
      if (lost.length) this.hooks.lost(lost);
      void this.repair();
    });
    return c;
  }

  private refreshSlots(): Promise<void> {
    return new Promise((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
  }

  /** Re-places lost names until every one is subscribed again; one loop at a time. */
  private async repair(): Promise<void> {
    if (this.repairing || this.closed) return;
    this.repairing = true;
    try {
      let delay = 50;
      for (;;) {
        await this.refreshSlots();
        if (this.closed) return;
        if (this.recheck) {
          this.recheck = false;
          const moved: string[] = [];
          for (const [n, p] of this.names) {
            if (p.node === undefined || this.owner(p.slot) === p.node) continue;
            this.conns
              .get(p.node)
              ?.sunsubscribe(n)
              .catch(() => {});
            p.node = undefined;
            moved.push(n);
          }
          if (moved.length) this.hooks.lost(moved);
        }
        const pending = [...this.names].filter(([, p]) => p.node === undefined).map(([n]) => n);
        if (pending.length === 0 && !this.recheck) return;
        const results = await Promise.allSettled(pending.map((n) => this.place(n)));
        const back = pending.filter((n, i) => results[i]!.status === 'fulfilled' && this.names.get(n)?.node !== undefined);
        if (back.length) this.hooks.restored(back);
        if (back.length === pending.length && !this.recheck) return;
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, 1000);
      }
    } finally {
      this.repairing = false;
    }
  }
}

/** How long an SSUBSCRIBE may take before its node is given up on (and the slot map asked again). */
const placeTimeout = 3000;

/** `promise`, or a rejection once `ms` pass without it settling. */
function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ─── hash slots (CRC16/XMODEM of the key, or of its first non-empty {hash tag}) ───────────────

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    t[i] = c & 0xffff;
  }
  return t;
})();

/** The Redis Cluster hash slot of `key` (0–16383). */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc & 16383;
}
