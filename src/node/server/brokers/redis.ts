// The Redis broker: offsets, history and fan-out shared by every server on one Redis, so clients
// may land on any server (no sticky sessions) and recover there. Key layout: redis-scripts.ts.
//
//   publish ──EVALSHA──▶ Redis: dedupe · HINCRBY offset · XADD stream · PUBLISH <prefix>{ch}:live
//   every server: one subscriber connection, one SUBSCRIBE per channel ──▶ Hub ──▶ sessions
//
// On Redis Cluster every key of a channel shares one hash slot, the script runs on the primary
// owning it and fans out with SPUBLISH, and each server SSUBSCRIBEs on that shard (redis-bus.ts).
// ioredis is imported on first use, so a server on the memory broker never loads it.
//
// Listeners see a channel's messages in offset order without holes: a hole in the live stream
// (a subscriber connection that dropped and came back) is filled from the stream before anything
// later is delivered. Only what history cannot cover reaches listeners as a jump in offsets or a
// new epoch, which the session reports to its client as a gap.
import { randomBytes } from 'node:crypto';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { GapReason } from '../../../core/frames.js';
import { ShardedBus, SingleBus, closeConnection, type LiveBus } from './redis-bus.js';
import { RedisHealth } from './redis-health.js';
import { channelKeys, decodeLive, decodePayload, encodePayload, HISTORY_LUA, PUBLISH_LUA, sha1, UNBORN_EPOCH } from './redis-scripts.js';
import { RedisSignals } from './redis-signals.js';
import type {
  Broker,
  BrokerListener,
  BrokerMessage,
  HistoryPage,
  HistoryResult,
  Payload,
  PublishOptions,
  SignalListener,
} from './types.js';
import { PAGE_LUA, pageArgs, readPage } from './redis-page.js';
import { RedisPresenceStore } from '../presence-redis.js';
import type { PresenceStore } from '../presence-store.js';

export interface RedisBrokerOptions {
  /** Redis URL, e.g. 'redis://:password@host:6379/0'. Default: 'redis://127.0.0.1:6379' when no `client` or `cluster` is given. */
  url?: string;
  /**
   * Redis Cluster start-up nodes (URLs like 'redis://10.0.0.1:6379', or { host, port }); any few
   * of the cluster's nodes will do. Live fan-out then uses sharded pub/sub (Redis 7 or newer).
   * Default: none (a single Redis at `url`).
   */
  cluster?: (string | { host: string; port: number })[];
  /** Extra ioredis Cluster options (scaleReads, natMap, …); `redisOptions` apply to every node. Default: none. */
  clusterOptions?: Omit<ClusterOptions, 'redisOptions'>;
  /**
   * An ioredis client to use for commands instead of connecting to `url`; the broker duplicates it
   * for its subscriber connection and leaves the client open on `close()`. Give it
   * `enableOfflineQueue: false` so commands fail fast during an outage. Default: none (connect to `url`).
   */
  client?: Redis;
  /**
   * Extra ioredis options for the connections the broker creates (retryStrategy, tls, …; Sentinel:
   * `{ sentinels: [{ host, port }], name: 'mymaster' }`). Default: none.
   */
  redisOptions?: Omit<RedisOptions, 'replyMapping' | 'protocol'>;
  /** Prefix of every key and pub/sub channel the broker uses. Default: 'anywire:'. */
  keyPrefix?: string;
  /**
   * ms a channel's epoch and latest offset are kept after its last publish or history read. When
   * they expire, the channel starts a new epoch (subscribers still behind get a 'history-lost'
   * gap). Never shorter than the history ttl. Default: 86400000 (a day).
   */
  metaTtl?: number;
  /**
   * ms a channel's Redis subscription is kept after its last local subscriber left, so that
   * clients re-joining at once (HTTP polls, reconnects) cost no SUBSCRIBE. Default: 5000.
   */
  unsubscribeDelay?: number;
  /** Most messages one history read fetches from Redis (XRANGE COUNT). Default: 500. */
  historyPage?: number;
}

interface Position {
  epoch: string;
  offset: number;
}

interface Channel {
  name: string;
  live: string;
  listeners: Set<BrokerListener>;
  ready: Promise<void>;
  /** Last message handed to the listeners (or where the channel stood when subscribed). */
  pos: Position | undefined;
  /** Live messages held while a hole is being filled from history; null when delivering directly. */
  held: BrokerMessage[] | null;
  catching: boolean;
  again: boolean;
  /** Failed catch-up attempts in a row (backoff). */
  retries?: number;
  /** Set while the channel has no listener left and waits to be dropped. */
  linger: ReturnType<typeof setTimeout> | undefined;
}

const newEpoch = (): string => randomBytes(6).toString('base64url');

interface Conns {
  cmd: Redis | Cluster;
  bus: LiveBus;
}

type Ioredis = typeof import('ioredis');

/** ioredis, imported once, on the first redisBroker() that needs it. */
let ioredis: Promise<Ioredis> | undefined;
const loadIoredis = (): Promise<Ioredis> => (ioredis ??= import('ioredis'));

class RedisBroker implements Broker {
  readonly spansServers = true;
  private readonly conns: Promise<Conns>;
  private cmd: Redis | Cluster | undefined;
  private ownCmd = true;
  private readonly prefix: string;
  private readonly metaTtl: number;
  private readonly lingerMs: number;
  private readonly page: number;
  private readonly clustered: boolean;
  /** Clusters and Sentinel fail over to replicas: the publish script checks the replication id. */
  private readonly checkRepl: boolean;
  private readonly channels = new Map<string, Channel>();
  private readonly byLive = new Map<string, Channel>();
  /** In-flight history reads, shared by identical concurrent requests. */
  private readonly reads = new Map<string, Promise<HistoryResult>>();
  private readonly health = new RedisHealth((conn) => this.onReady(conn));
  private readonly signals: RedisSignals;
  private closed = false;

  constructor(options: RedisBrokerOptions) {
    const given = [options.url, options.client, options.cluster].filter((x) => x !== undefined).length;
    if (given > 1) throw new Error('redisBroker: give one of url, client or cluster');
    this.prefix = options.keyPrefix ?? 'anywire:';
    this.metaTtl = options.metaTtl ?? 86_400_000;
    this.lingerMs = options.unsubscribeDelay ?? 5000;
    this.page = Math.max(1, Math.floor(options.historyPage ?? 500));
    this.clustered = options.cluster !== undefined;
    this.checkRepl = this.clustered || options.redisOptions?.sentinels !== undefined;
    this.signals = new RedisSignals(this.prefix, () => this.conns.then((c) => c.bus));
    this.conns = this.connect(options);
    this.conns.catch(() => {}); // reported by every command that awaits it
  }

  private async connect(options: RedisBrokerOptions): Promise<Conns> {
    const mine: Omit<RedisOptions, 'replyMapping'> = {
      // Reconnect quickly and forever; fail commands at once while down instead of queueing them.
      retryStrategy: (times) => Math.min(100 * times, 2000),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...options.redisOptions,
    };
    const hooks = {
      message: (name: string, data: Buffer) => this.onLive(name, data),
      lost: (names: string[]) => this.onLost(names),
      restored: (names: string[]) => this.onRestored(names),
    };
    if (options.client) {
      const cmd = options.client;
      const sub = cmd.duplicate({ enableOfflineQueue: false, lazyConnect: false, autoResubscribe: false });
      this.adopt(cmd, false, sub);
      return { cmd, bus: new SingleBus(cmd, sub, hooks) };
    }
    const { Redis: RedisClass, Cluster: ClusterClass } = await loadIoredis();
    if (this.closed) throw new Error('the redis broker is closed');
    if (options.cluster) {
      const nodes: ClusterNode[] = options.cluster.map((n) => {
        if (typeof n !== 'string') return n;
        const u = new URL(n);
        return { host: u.hostname, port: Number(u.port || 6379) };
      });
      const first = typeof options.cluster[0] === 'string' ? new URL(options.cluster[0]) : undefined;
      const auth: Omit<RedisOptions, 'replyMapping'> = {};
      if (first?.password) auth.password = decodeURIComponent(first.password);
      if (first?.username) auth.username = decodeURIComponent(first.username);
      const nodeOptions: Omit<RedisOptions, 'replyMapping'> = { ...auth, ...mine };
      const cmd = new ClusterClass(nodes, {
        enableOfflineQueue: false,
        // After a primary died, the cluster needs a moment to promote its replica.
        clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        ...options.clusterOptions,
        redisOptions: nodeOptions,
      });
      this.adopt(cmd, true);
      return { cmd, bus: new ShardedBus(RedisClass, cmd, nodeOptions, hooks) };
    }
    const url = options.url ?? 'redis://127.0.0.1:6379';
    const cmd = new RedisClass(url, mine);
    // Resubscription is the bus's (SingleBus), so that history catch-up runs after it, never before.
    const sub = new RedisClass(url, { ...mine, autoResubscribe: false });
    this.adopt(cmd, true, sub);
    return { cmd, bus: new SingleBus(cmd, sub, hooks) };
  }

  private adopt(cmd: Redis | Cluster, own: boolean, sub?: Redis): void {
    this.cmd = cmd;
    this.ownCmd = own;
    this.health.watch(cmd, own);
    if (sub) this.health.watch(sub, true);
  }

  get healthy(): boolean {
    return this.health.healthy;
  }

  /** Resolves once Redis is reachable; rejects as soon as a connection attempt has failed. */
  async connected(): Promise<void> {
    await this.conns;
    await this.health.usable();
  }

  private async ready(): Promise<Conns> {
    const c = await this.conns;
    await this.health.usable();
    return c;
  }

  async publish(channel: string, payload: Payload, options: PublishOptions) {
    const { bus } = await this.ready();
    const k = channelKeys(this.prefix, channel);
    const { size, ttl } = options.history;
    const keys = options.id === undefined ? [k.meta, k.stream] : [k.meta, k.stream, k.dedupe(options.publisher ?? '', options.id)];
    const args = [
      encodePayload(payload),
      newEpoch(),
      String(Math.max(1, Math.floor(size))),
      String(Math.max(1, Math.floor(ttl))),
      String(Math.max(this.metaTtl, ttl)),
      String(Math.max(ttl, 60_000)),
      k.live,
      bus.publishCommand,
      this.checkRepl ? '1' : '0',
    ];
    const reply = (await this.script(PUBLISH_LUA, keys, args, false)) as [number, string];
    return { offset: Number(reply[0]), epoch: String(reply[1]) };
  }

  /**
   * Concurrent identical reads share one round trip. A shared read is only handed to a caller if
   * it covers every message this process already delivered on the channel: a caller that joined
   * the channel before asking gets the rest live, so together nothing falls between. At most
   * `limit` (default and cap: `historyPage`) messages come back; the caller asks again from the
   * last one while it is below `top`.
   */
  async history(channel: string, since?: { epoch: string; offset: number }, options?: { limit?: number }): Promise<HistoryResult> {
    const limit = Math.max(1, Math.min(this.page, Math.floor(options?.limit ?? this.page)));
    const delivered = this.channels.get(channel)?.pos;
    const key = since ? `${channel}\n${since.epoch}\n${since.offset}\n${limit}` : `${channel}\n`;
    let p = this.reads.get(key);
    if (!p) {
      p = this.read(channel, since, limit);
      this.reads.set(key, p);
      const done = p;
      const forget = () => {
        if (this.reads.get(key) === done) this.reads.delete(key);
      };
      p.then(forget, forget);
    }
    const result = await p;
    if (delivered && result.epoch === delivered.epoch && result.top < delivered.offset) return this.read(channel, since, limit);
    return result;
  }

  /** History read backwards (XREVRANGE with COUNT): see redis-page.ts. */
  async readBack(channel: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage> {
    await this.ready();
    const k = channelKeys(this.prefix, channel);
    return readPage(
      channel,
      (await this.script(PAGE_LUA, [k.meta, k.stream], pageArgs(UNBORN_EPOCH, this.metaTtl, options), true)) as unknown[],
    );
  }

  async subscribe(channel: string, listener: BrokerListener): Promise<void> {
    const existing = this.channels.get(channel);
    if (existing) {
      clearTimeout(existing.linger);
      existing.linger = undefined;
      existing.listeners.add(listener);
      return existing.ready;
    }
    const c: Channel = {
      name: channel,
      live: channelKeys(this.prefix, channel).live,
      listeners: new Set([listener]),
      ready: Promise.resolve(),
      pos: undefined,
      held: null,
      catching: false,
      again: false,
      linger: undefined,
    };
    this.channels.set(channel, c);
    this.byLive.set(c.live, c);
    c.ready = this.start(c);
    c.ready.catch(() => {
      if (this.channels.get(channel) !== c) return;
      this.drop(c);
    });
    return c.ready;
  }

  async unsubscribe(channel: string, listener: BrokerListener): Promise<void> {
    const c = this.channels.get(channel);
    if (!c || !c.listeners.delete(listener) || c.listeners.size > 0) return;
    // Keep the Redis subscription a little while: a client that reconnects at once (or moves its
    // session to this node) must not cost a SUBSCRIBE. HTTP sessions no longer leave the hub
    // between polls (they live in the session registry), so this is no longer what they need.
    clearTimeout(c.linger);
    c.linger = setTimeout(() => {
      if (this.channels.get(channel) === c && c.listeners.size === 0) this.drop(c);
    }, this.lingerMs);
    c.linger.unref();
  }

  signal(topic: string, data: string): void {
    this.signals.signal(topic, data);
  }

  /** Registers at once (a reconnection subscribes it again), then subscribes once Redis is reachable. */
  async onSignal(topic: string, listener: SignalListener): Promise<void> {
    this.signals.add(topic, listener);
    await this.ready();
    await this.signals.subscribe(topic);
  }

  /** Presence kept in this Redis, shared by every server on it (presence-redis.ts). */
  presenceStore(): PresenceStore {
    return new RedisPresenceStore(
      this.prefix,
      async (lua, keys, args) => {
        await this.ready();
        return this.script(lua, keys, args, false);
      },
      60_000,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.health.close();
    for (const c of this.channels.values()) clearTimeout(c.linger);
    this.channels.clear();
    this.byLive.clear();
    this.signals.clear();
    let conns: Conns;
    try {
      conns = await this.conns;
    } catch {
      return;
    }
    await Promise.all([conns.bus.close(), this.ownCmd ? closeConnection(conns.cmd) : undefined]);
  }

  // ─── connections ───────────────────────────────────────────────────────────────────────────

  /** The command connection is back: fill what channels held while it was down. */
  private onReady(conn: Redis | Cluster): void {
    if (this.closed || conn !== this.cmd) return;
    for (const c of this.channels.values()) if (c.held) void this.catchUp(c);
  }

  /** These pub/sub channels may miss messages from now on: hold live ones until caught up. */
  private onLost(names: string[]): void {
    for (const n of names) {
      const c = this.byLive.get(n);
      if (c) c.held ??= [];
    }
  }

  private onRestored(names: string[]): void {
    if (this.closed) return;
    for (const n of names) {
      const c = this.byLive.get(n);
      if (c && this.channels.get(c.name) === c) void this.catchUp(c);
    }
  }

  private async script(lua: string, keys: string[], args: (string | Buffer)[], buffers: boolean): Promise<unknown> {
    const cmd = this.cmd!;
    const hash = sha1(lua);
    const run = (name: 'evalsha' | 'eval') => {
      const argv = [name === 'evalsha' ? hash : lua, keys.length, ...keys, ...args];
      return buffers ? cmd.callBuffer(name, argv) : cmd.call(name, argv);
    };
    try {
      return await run('evalsha');
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return run('eval');
    }
  }

  private async read(channel: string, since: { epoch: string; offset: number } | undefined, limit: number): Promise<HistoryResult> {
    await this.ready();
    const k = channelKeys(this.prefix, channel);
    const args = [UNBORN_EPOCH, String(this.metaTtl), since?.epoch ?? '', String(since?.offset ?? 0), String(limit)];
    const reply = (await this.script(HISTORY_LUA, [k.meta, k.stream], args, true)) as unknown[];
    const epoch = String(reply[0]);
    const top = Number(reply[1]);
    const base = { epoch, top };
    if (!since) return { ...base, messages: [] };
    // Offset 0 has seen nothing: any epoch's messages from 1 are all new to it.
    if ((since.epoch !== epoch && since.offset !== 0) || since.offset > top) return { ...base, messages: [], gap: 'history-lost' };
    if (since.offset === top) return { ...base, messages: [] };
    const now = Number(reply[2]);
    const ttl = Number(reply[3]);
    const entries = (reply[4] ?? []) as [Buffer, Buffer[]][];
    const trimmed = (): HistoryResult => ({ ...base, messages: [], gap: 'history-trimmed' as GapReason });
    const head = entries[0];
    if (!head || parseInt(head[0].toString('latin1'), 10) !== since.offset + 1) return trimmed();
    if (Number(field(head[1], 't')) < now - ttl) return trimmed();
    const messages: BrokerMessage[] = entries.map(([id, fields]) => ({
      channel,
      epoch,
      offset: parseInt(id.toString('latin1'), 10),
      payload: decodePayload(field(fields, 'd') ?? Buffer.from('j')),
    }));
    return { ...base, messages };
  }

  // ─── fan-out ───────────────────────────────────────────────────────────────────────────────

  private async start(c: Channel): Promise<void> {
    const { bus } = await this.ready();
    await bus.subscribe([c.live]);
    // Where the channel stands: later messages are checked against it for holes.
    const now = await this.history(c.name);
    if (!c.pos) c.pos = { epoch: now.epoch, offset: now.top };
  }

  private drop(c: Channel): void {
    this.channels.delete(c.name);
    this.byLive.delete(c.live);
    this.conns.then(
      (conns) => conns.bus.unsubscribe(c.live),
      () => {},
    );
  }

  private onLive(name: string, data: Buffer): void {
    const c = this.byLive.get(name);
    if (!c) {
      this.signals.dispatch(name, data);
      return;
    }
    let m: BrokerMessage;
    try {
      m = { channel: c.name, ...decodeLive(data) };
    } catch {
      return; // not ours: someone else publishing on our prefix
    }
    if (c.held) {
      c.held.push(m);
      return;
    }
    const pos = c.pos;
    if (!pos || (m.epoch === pos.epoch && m.offset === pos.offset + 1)) return this.emit(c, m);
    if (m.epoch === pos.epoch && m.offset <= pos.offset) return; // already delivered
    c.held = [m];
    void this.catchUp(c);
  }

  private emit(c: Channel, m: BrokerMessage): void {
    c.pos = { epoch: m.epoch, offset: m.offset };
    for (const l of c.listeners) {
      try {
        l(m);
      } catch {
        // one listener's failure must not cost the others their message
      }
    }
  }

  /** Fills a hole from history, page by page, then delivers what was held, in offset order. */
  private async catchUp(c: Channel): Promise<void> {
    if (c.catching) {
      c.again = true;
      return;
    }
    c.catching = true;
    try {
      do {
        c.again = false;
        const from = c.pos;
        const h = from ? await this.read(c.name, from, this.page) : undefined;
        if (this.channels.get(c.name) !== c) return;
        if (h && !h.gap) for (const m of h.messages) if (c.pos!.epoch !== m.epoch || m.offset > c.pos!.offset) this.emit(c, m);
        const last = h?.messages[h.messages.length - 1];
        if (h && !h.gap && last && last.offset < h.top) {
          c.again = true; // more pages to read before the held messages
          continue;
        }
        const held = c.held ?? [];
        c.held = null;
        // What history could not cover (a new epoch, a trimmed stream) goes through as it is;
        // sessions see the jump and report a gap to their clients.
        for (const m of held) if (!c.pos || m.epoch !== c.pos.epoch || m.offset > c.pos.offset) this.emit(c, m);
        if (h && (!c.pos || c.pos.epoch !== h.epoch || c.pos.offset < h.top)) c.pos = { epoch: h.epoch, offset: h.top };
      } while (c.again && !this.closed);
      c.retries = 0;
    } catch {
      // Redis dropped again, or a cluster shard is failing over: keep holding and retry with
      // backoff (a 'ready' or a restored subscription may run it sooner) until it succeeds.
      if (this.channels.get(c.name) === c && !this.closed) {
        c.held ??= [];
        c.retries = (c.retries ?? 0) + 1;
        setTimeout(() => void this.catchUp(c), Math.min(250 * c.retries, 2000)).unref();
      }
      return;
    } finally {
      c.catching = false;
    }
  }
}

/** What `redisBroker()` returns: a Broker, plus a way to wait for the first connection. */
export interface RedisBrokerHandle extends Broker {
  /** Resolves once Redis is reachable; rejects as soon as a connection attempt has failed. */
  connected(): Promise<void>;
}

function field(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}

/**
 * A broker on Redis for many servers: atomic offsets, history in Redis Streams, fan-out over
 * pub/sub (sharded pub/sub on Redis Cluster). Requires Redis 6.2 or newer (7 for a cluster). See
 * docs/scaling.md.
 *
 * @example
 * createServer({ broker: redisBroker({ url: 'redis://127.0.0.1:6379', keyPrefix: 'anywire:' }), secret });
 * createServer({ broker: redisBroker({ cluster: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'] }), secret });
 */
export function redisBroker(options: RedisBrokerOptions = {}): RedisBrokerHandle {
  return new RedisBroker(options);
}
