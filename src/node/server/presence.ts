// Presence: who is subscribed to a channel, as members (an identity, or one client without
// `authenticate`) with a count of connections. It does not depend on what a session object is:
// a presence connection is keyed by the member and the client's presence id (stable across the
// client's reconnects, transport changes and moves between servers), and stays alive by touches —
// every subscribe of that client (an HTTP poll, an SSE stream, a WebSocket `sub`), a refresh while a
// session holds it, and a last touch when the last session lets go — while `presenceGrace` does the
// rest: a connection nobody touches for that long expires, and a member whose last connection
// expired leaves. Joins and leaves are decided atomically by the store (presence-store.ts) and
// published into the channel's own history, so every subscriber on every server and transport gets
// each one once, in order with the messages, and recovers missed ones like any message.
import { AnywireError } from '../../core/errors.js';
import type { SubscribeFrame } from '../../core/frames.js';
import type { ServerCore } from './core.js';
import { presencePayload, type PresenceKind } from './presence-event.js';
import { MemoryPresenceStore, type PresenceChange, type PresenceConn, type PresenceStore } from './presence-store.js';

/** Who is present on a channel (the contract's PresenceMember). */
export interface PresenceMember {
  id: string;
  identity?: unknown;
  data?: unknown;
  connections: number;
}

/** Largest presence data of one client, in bytes of its JSON. */
export const MAX_PRESENCE_DATA = 1024;
/** Largest identity shown in a member (larger ones are left out of it), in bytes of its JSON. */
const maxIdentity = 4096;
/** Members in one answer to a client's `presence()`. */
export const CLIENT_LIST_LIMIT = 1000;
/** Members in one `server.presence()` answer. */
export const SERVER_LIST_LIMIT = 10_000;
/** Connections expired per channel per sweep; the rest wait for the next one. */
const expireBatch = 1000;
/** Connections per store write. */
const touchBatch = 500;

interface Conn extends PresenceConn {
  channel: string;
  /** Sessions (or whatever holds it) subscribed with this connection on this server. */
  holders: Set<object>;
  /** When its expiry was last written (ms). */
  written: number;
  /** When the last holder let go (0 while held). */
  releasedAt: number;
  /** True once the store has it. */
  stored: boolean;
  /** The last write gave it the long expiry of a held connection. */
  long: boolean;
}

export class PresenceTracker {
  readonly grace: number;
  /** Writes of one connection closer together than this are skipped; expiries carry it as slack. */
  private readonly slack: number;
  /**
   * Expiry written for a connection a session holds: refreshed every grace/2, so a server that
   * dies leaves its connections at least a whole grace to reappear elsewhere (a failover).
   */
  private readonly heldTtl: number;
  /** Expiry written when the last session lets go: the grace, plus the slack. */
  private readonly releasedTtl: number;
  private readonly tick: number;
  private closed = false;
  private readonly store: PresenceStore;
  private readonly filter: (channel: string) => boolean;
  /** This server's connections, per channel. */
  private readonly channels = new Map<string, Map<string, Conn>>();
  private readonly held = new WeakMap<object, Map<string, Conn>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private sweeping = false;

  constructor(private readonly core: ServerCore) {
    const o = core.options;
    const p = o.presence;
    if (typeof p !== 'function' && typeof p !== 'boolean')
      throw new TypeError('anywire: `presence` must be a boolean or a function (channel) => boolean');
    if (!Number.isFinite(o.presenceGrace) || o.presenceGrace <= 0)
      throw new TypeError('anywire: `presenceGrace` must be a positive number of ms');
    this.filter = typeof p === 'function' ? p : () => p === true;
    this.grace = o.presenceGrace;
    this.slack = Math.min(1000, Math.ceil(this.grace / 10));
    this.heldTtl = this.grace * 1.5 + this.slack;
    this.releasedTtl = this.grace + this.slack;
    this.tick = Math.max(50, Math.min(o.heartbeatInterval, this.grace / 4));
    this.store = core.broker.presenceStore?.() ?? new MemoryPresenceStore();
  }

  /** Whether presence is on for `channel` (the `presence` option; a throwing function means no). */
  enabled(channel: string): boolean {
    try {
      return this.filter(channel) === true;
    } catch (err) {
      this.core.emit('error', err as Error);
      return false;
    }
  }

  /**
   * `holder` subscribed to `channel` with `f`: holds its presence connection. Resolves once a join
   * it caused is in the channel's history (so the subscriber's own join precedes its confirmation).
   * Rejects only on bad input (BAD_REQUEST); a store failure is reported and retried by the sweep.
   */
  async hold(channel: string, holder: object, identity: unknown, f: SubscribeFrame, fallbackId: string): Promise<void> {
    if (!this.enabled(channel)) return;
    const pc = f.pc ?? fallbackId;
    const member = memberId(identity, pc);
    const info = infoOf(member, identity, f.p);
    const key = member + '\n' + pc;
    let mine = this.held.get(holder);
    const previous = mine?.get(channel);
    if (previous && previous.key !== key) this.release(channel, holder);
    let conns = this.channels.get(channel);
    if (!conns) this.channels.set(channel, (conns = new Map()));
    let conn = conns.get(key);
    if (!conn) {
      conn = { channel, key, member, info, holders: new Set(), written: 0, releasedAt: 0, stored: false, long: false };
      conns.set(key, conn);
    }
    const changed = conn.info !== info;
    conn.info = info;
    conn.holders.add(holder);
    conn.releasedAt = 0;
    if (!mine) this.held.set(holder, (mine = new Map()));
    mine.set(channel, conn);
    this.start();
    if (!conn.stored || changed || Date.now() - conn.written >= this.slack) await this.write(channel, [conn], this.heldTtl);
  }

  /** `holder` is no longer subscribed to `channel` (unsubscribed, request over, connection gone). */
  release(channel: string, holder: object): void {
    const mine = this.held.get(holder);
    const conn = mine?.get(channel);
    if (!conn) return;
    mine!.delete(channel);
    conn.holders.delete(holder);
    if (conn.holders.size > 0) return;
    const now = Date.now();
    conn.releasedAt = now;
    // The last touch: the connection now expires presenceGrace (plus slack) from here. Skipped
    // when a release wrote that moments ago (an HTTP client's every request holds and releases).
    if (!this.closed && (conn.long || now - conn.written >= this.slack)) void this.write(channel, [conn], this.releasedTtl);
  }

  /** The channel's members (expired connections swept first), at most `limit`, and their total. */
  async list(channel: string, limit = CLIENT_LIST_LIMIT): Promise<{ members: PresenceMember[]; total: number }> {
    await this.expire(channel);
    let r;
    try {
      r = await this.store.list(channel, limit);
    } catch (cause) {
      throw new AnywireError('BROKER_UNAVAILABLE', `presence read failed: ${(cause as Error).message}`, { cause });
    }
    const members = r.members.map((m) => ({ ...(JSON.parse(m.info) as PresenceMember), connections: m.connections }));
    return { members, total: r.total };
  }

  /**
   * On shutdown: every connection of this server gets a last touch (the grace from now), so
   * clients that move to another server within it are neither leave nor join; then no more writes.
   */
  async close(): Promise<void> {
    this.stop();
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.channels].map(([channel, conns]) => this.write(channel, [...conns.values()], this.releasedTtl)));
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.sweep(), this.tick);
    this.timer.unref();
  }

  /** Writes connections' expiry (`ttl` from now) and announces the joins the store reports. */
  private async write(channel: string, conns: Conn[], ttl: number): Promise<void> {
    if (conns.length === 0) return;
    const now = Date.now();
    for (const c of conns) {
      c.written = now;
      c.long = ttl === this.heldTtl;
    }
    let joins: PresenceChange[];
    try {
      joins = await this.store.touch(channel, conns, ttl);
    } catch (err) {
      for (const c of conns) c.stored = false; // written again by the next sweep
      this.core.emit('error', err as Error);
      return;
    }
    for (const c of conns) c.stored = true;
    await this.announce(channel, 'join', joins);
  }

  private async expire(channel: string): Promise<void> {
    let leaves: PresenceChange[];
    try {
      leaves = await this.store.expire(channel, expireBatch);
    } catch (err) {
      this.core.emit('error', err as Error);
      return;
    }
    await this.announce(channel, 'leave', leaves);
  }

  /** Publishes each change into the channel's history: `d` is the member with its connections. */
  private async announce(channel: string, kind: PresenceKind, changes: PresenceChange[]): Promise<void> {
    for (const c of changes) {
      const member =
        c.info.length > 1
          ? c.info.slice(0, -1) + `,"connections":${kind === 'join' ? 1 : 0}}`
          : `{"id":${JSON.stringify(c.member)},"connections":0}`;
      try {
        await this.core.broker.publish(channel, presencePayload(kind, member), { history: this.core.options.history });
      } catch (err) {
        this.core.emit('error', err as Error);
      }
    }
  }

  /**
   * Every tick: refresh held connections written half a grace ago, forget released ones past
   * their expiry, and sweep each channel this server serves for expired connections (its own, or
   * those of a server that died) — only those channels, never all of the store.
   */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = Date.now();
      for (const [channel, conns] of [...this.channels]) {
        const due: Conn[] = [];
        for (const [key, c] of conns) {
          if (c.holders.size > 0) {
            if (!c.stored || now - c.written >= this.grace / 2) due.push(c);
          } else if (now - c.releasedAt > this.releasedTtl) {
            conns.delete(key);
          }
        }
        for (let i = 0; i < due.length; i += touchBatch) await this.write(channel, due.slice(i, i + touchBatch), this.heldTtl);
        await this.expire(channel);
        if (conns.size === 0 && this.channels.get(channel) === conns) this.channels.delete(channel);
      }
      if (this.channels.size === 0) this.stop();
    } finally {
      this.sweeping = false;
    }
  }
}

/** The member a client counts as: its identity's `id`, or the client itself without one. */
function memberId(identity: unknown, pc: string): string {
  const id = identity !== null && typeof identity === 'object' ? (identity as { id?: unknown }).id : identity;
  return (typeof id === 'string' && id !== '') || typeof id === 'number' ? String(id) : pc;
}

function infoOf(member: string, identity: unknown, data: unknown): string {
  const m: Record<string, unknown> = { id: member };
  if (identity !== null && identity !== undefined) {
    const text = safeJson(identity);
    if (text !== undefined && text.length <= maxIdentity) m.identity = identity;
  }
  if (data !== undefined) {
    const text = safeJson(data);
    if (text === undefined || Buffer.byteLength(text) > MAX_PRESENCE_DATA) {
      throw new AnywireError('BAD_REQUEST', `presence data must be a JSON value of at most ${MAX_PRESENCE_DATA} bytes`);
    }
    m.data = data;
  }
  return JSON.stringify(m);
}

function safeJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}
