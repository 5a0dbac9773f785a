// The election and the protocol between tabs, with plain fakes: several "tabs" in one process,
// each with its own Group, one fake Web Locks manager and one fake BroadcastChannel bus (messages
// are structured-cloned, as between real tabs), and an in-memory server that speaks the wire
// protocol (history, resume from `since`, publish de-duplication by id). A tab "crashes" by going
// deaf and mute at once while the lock manager releases its locks, as the browser does.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Transport, TransportFactory, TransportHandlers } from '../../adapters/types.js';
import { createCoreClient, type Client, type ClientEnvironment } from '../../core/client.js';
import { AnywireError } from '../../core/errors.js';
import { PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from '../../core/frames.js';
import type { ClientOptions } from '../../core/options.js';
import { Group, groupKey, type SharePlatform } from './group.js';
import { Hub } from './hub.js';
import type { ShareMessage } from './messages.js';
import { shareEnvironment, type ShareModule } from './index.js';

// ---- fakes -------------------------------------------------------------------------------------

interface Held {
  name: string;
  tab: string;
  release: () => void;
}
interface Waiting {
  name: string;
  tab: string;
  grant: () => void;
  fail: (e: unknown) => void;
}

/** Exclusive Web Locks for one origin: request (with signal or steal), query, and a tab's crash. */
class FakeLocks {
  held: Held[] = [];
  queue: Waiting[] = [];

  forTab(tab: string): LockManager {
    return {
      request: (name: string, a: unknown, b?: unknown) => {
        const opts = (typeof a === 'function' ? {} : a) as { signal?: AbortSignal; steal?: boolean };
        const cb = (typeof a === 'function' ? a : b) as (lock: unknown) => Promise<unknown>;
        return new Promise((resolve, reject) => {
          const run = () => {
            let done = false;
            const entry: Held = {
              name,
              tab,
              release: () => {
                if (done) return;
                done = true;
                this.held = this.held.filter((h) => h !== entry);
                this.#next(name);
              },
            };
            this.held.push(entry);
            Promise.resolve(cb({ name })).then(
              (v) => {
                entry.release();
                resolve(v);
              },
              (e) => {
                entry.release();
                reject(e);
              },
            );
            (entry as Held & { reject: (e: unknown) => void }).reject = reject;
          };
          if (opts.steal) {
            for (const h of this.held.filter((x) => x.name === name)) {
              this.held = this.held.filter((x) => x !== h);
              (h as Held & { reject: (e: unknown) => void }).reject(new DOMException('stolen', 'AbortError'));
            }
            return run();
          }
          if (!this.held.some((h) => h.name === name)) return run();
          const w: Waiting = { name, tab, grant: run, fail: reject };
          this.queue.push(w);
          opts.signal?.addEventListener('abort', () => {
            if (!this.queue.includes(w)) return;
            this.queue = this.queue.filter((x) => x !== w);
            reject(new DOMException('aborted', 'AbortError'));
          });
        });
      },
      query: async () => ({
        held: this.held.map((h) => ({ name: h.name, clientId: h.tab, mode: 'exclusive' as const })),
        pending: this.queue.map((w) => ({ name: w.name, clientId: w.tab, mode: 'exclusive' as const })),
      }),
    } as unknown as LockManager;
  }

  #next(name: string): void {
    if (this.held.some((h) => h.name === name)) return;
    const i = this.queue.findIndex((w) => w.name === name);
    if (i < 0) return;
    const [w] = this.queue.splice(i, 1);
    w!.grant();
  }

  /** The browser drops a dead tab's locks: held ones are released, queued ones forgotten. */
  crash(tab: string): void {
    this.queue = this.queue.filter((w) => w.tab !== tab);
    for (const h of this.held.filter((x) => x.tab === tab)) {
      this.held = this.held.filter((x) => x !== h);
      this.#next(h.name);
    }
  }
}

/** BroadcastChannel across fake tabs: every other instance of the name, structured-cloned, async. */
class FakeBus {
  channels = new Set<{ name: string; tab: string; dead: () => boolean; onmessage: ((ev: MessageEvent) => void) | null }>();

  forTab(tab: string, dead: () => boolean): typeof BroadcastChannel {
    const bus = this;
    return class {
      name: string;
      onmessage: ((ev: MessageEvent) => void) | null = null;
      constructor(name: string) {
        this.name = name;
        bus.channels.add(Object.assign(this, { tab, dead }));
      }
      postMessage(data: unknown): void {
        if (dead()) return;
        const copy = structuredClone(data);
        for (const c of bus.channels) {
          if (c === (this as unknown) || c.name !== this.name) continue;
          setTimeout(() => !c.dead() && c.onmessage?.({ data: structuredClone(copy) } as MessageEvent), 0);
        }
      }
      close(): void {
        bus.channels.delete(this as never);
      }
    } as unknown as typeof BroadcastChannel;
  }
}

/** An in-memory anywire server: one epoch, history, resume from `since`, publish de-dup by id. */
class FakeServer {
  readonly log = new Map<string, unknown[]>();
  readonly ids = new Map<string, number>();
  readonly conns = new Set<{ subs: Set<string>; deliver: (f: ServerFrame[]) => void; tab: string }>();
  stored = 0;
  /** While down, every transport fails to open. */
  down = false;

  factory(tab: string, dead: () => boolean): TransportFactory {
    const server = this;
    return {
      name: 'websocket',
      create(): Transport {
        let handlers: TransportHandlers | undefined;
        const conn = {
          tab,
          subs: new Set<string>(),
          deliver: (f: ServerFrame[]) => setTimeout(() => !dead() && server.conns.has(conn) && handlers?.onFrames(f), 0),
        };
        return {
          name: 'websocket',
          duplex: true,
          async open(h) {
            if (server.down) throw new Error('connection refused');
            handlers = h;
            server.conns.add(conn);
          },
          send(frames: ClientFrame[]) {
            if (dead() || !server.conns.has(conn)) return;
            const out: ServerFrame[] = [];
            for (const f of structuredClone(frames) as ClientFrame[]) server.receive(conn, f, out);
            if (out.length) conn.deliver(out);
          },
          close() {
            server.conns.delete(conn);
          },
        };
      },
    };
  }

  receive(conn: { subs: Set<string> }, f: ClientFrame, out: ServerFrame[]): void {
    switch (f.t) {
      case 'connect':
        out.push({ t: 'welcome', v: PROTOCOL_VERSION, sid: 's', hb: 25_000, max: 65_536 } as ServerFrame);
        break;
      case 'sub': {
        const log = this.log.get(f.ch) ?? [];
        const covered = f.since && f.since.e === 'E' && f.since.o <= log.length;
        const from = covered ? f.since!.o : log.length;
        conn.subs.add(f.ch);
        out.push({ t: 'subd', id: f.id, ch: f.ch, e: 'E', o: from, r: !!covered });
        for (let o = from + 1; o <= log.length; o++) out.push({ t: 'msg', ch: f.ch, o, d: log[o - 1] } as ServerFrame);
        break;
      }
      case 'unsub':
        conn.subs.delete(f.ch);
        break;
      case 'pub': {
        let o = this.ids.get(f.id);
        if (o === undefined) {
          o = this.store(f.ch, (f as { d?: unknown }).d);
          this.ids.set(f.id, o);
        }
        out.push({ t: 'ack', id: f.id, o });
        break;
      }
      default:
        break;
    }
  }

  store(ch: string, d: unknown): number {
    const log = this.log.get(ch) ?? [];
    this.log.set(ch, log);
    log.push(d);
    this.stored++;
    const o = log.length;
    for (const c of this.conns) if (c.subs.has(ch)) c.deliver([{ t: 'msg', ch, o, d } as ServerFrame]);
    return o;
  }
}

// ---- tabs --------------------------------------------------------------------------------------

const locks = new FakeLocks();
const bus = new FakeBus();
let server = new FakeServer();
const groups: Group[] = [];
const clients: Client[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const g of groups.splice(0)) g.close();
  server = new FakeServer();
});

interface Tab {
  id: string;
  client: Client;
  group: () => Group | undefined;
  crash(): void;
  /** Frozen: silent, its locks still held. */
  freeze(): void;
  got: Record<string, number[]>;
  subscribe(ch: string): Promise<void>;
}

const options: ClientOptions = {
  url: 'http://app.test/anywire',
  shareConnection: true,
  transports: ['websocket'],
  reconnect: { minDelay: 20, maxDelay: 100 },
};

/** A tab: its own Group (as a real tab has its own module instance), and one client in it. */
function openTab(name: string): Tab {
  let dead = false;
  let group: Group | undefined;
  const platform: SharePlatform = { locks: locks.forTab(name), BroadcastChannel: bus.forTab(name, () => dead) };
  const env: ClientEnvironment = { runtime: {}, factories: { websocket: server.factory(name, () => dead) } };
  const loader = async (): Promise<ShareModule> => ({
    joinGroup: (o, e, deps) => {
      group = new Group(groupKey(o), o, e, deps, platform);
      groups.push(group);
      return group;
    },
  });
  const client = createCoreClient(options, shareEnvironment(options, env, loader));
  clients.push(client);
  const got: Record<string, number[]> = {};
  return {
    id: name,
    client,
    group: () => group,
    got,
    freeze() {
      dead = true;
    },
    crash() {
      dead = true;
      locks.crash(name);
      for (const c of [...server.conns]) if (c.tab === name) server.conns.delete(c);
    },
    subscribe(ch) {
      got[ch] = [];
      return client.subscribe(ch, (_d, meta) => got[ch]!.push(meta.offset)).ready;
    },
  };
}

const hubs = (tabs: Tab[]) => tabs.filter((t) => t.group()?.hub);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

// happy-dom has neither Web Locks nor BroadcastChannel everywhere: the hook checks for both.
// (Each tab below gets its own fakes through the group's platform; these only pass the check.)
vi.stubGlobal('BroadcastChannel', globalThis.BroadcastChannel ?? class {});
Object.defineProperty(navigator, 'locks', { value: {}, configurable: true });

describe('share groups (fakes)', () => {
  it('two tabs that start at once elect one hub and hold one connection', async () => {
    const a = openTab('a');
    const b = openTab('b');
    await Promise.all([a.subscribe('chat'), b.subscribe('chat')]);
    expect(hubs([a, b])).toHaveLength(1);
    expect(server.conns.size).toBe(1);
    // One server subscription for the channel both tabs want.
    expect([...server.conns][0]!.subs).toEqual(new Set(['chat']));
    await a.client.publish('chat', 'x');
    await b.client.publish('chat', 'y');
    await vi.waitFor(() =>
      expect([a.got.chat, b.got.chat]).toEqual([
        [1, 2],
        [1, 2],
      ]),
    );
    expect([a.client.state, b.client.state]).toEqual(['connected', 'connected']);
  });

  it('a follower that vanishes mid-publish: stored once, the others unaffected', async () => {
    const a = openTab('a');
    const b = openTab('b');
    await Promise.all([a.subscribe('chat'), b.subscribe('chat')]);
    const follower = hubs([a, b])[0] === a ? b : a;
    const other = follower === a ? b : a;
    void follower.client.publish('chat', 'last words').catch(() => {});
    follower.crash();
    await vi.waitFor(() => expect(server.stored).toBe(1));
    await other.client.publish('chat', 'still here');
    await vi.waitFor(() => expect(other.got.chat).toEqual([1, 2]));
    expect(server.conns.size).toBe(1);
  });

  it('the hub vanishes mid-publish: the next hub sends the queued publish once, every tab resumes from its own offset', async () => {
    const tabs = [openTab('a'), openTab('b'), openTab('c')];
    await Promise.all(tabs.map((t) => t.subscribe('feed')));
    await tabs[2]!.subscribe('extra');
    for (let i = 0; i < 20; i++) server.store('feed', i);
    await vi.waitFor(() => tabs.forEach((t) => expect(t.got.feed).toHaveLength(20)));
    const hub = hubs(tabs)[0]!;
    const rest = tabs.filter((t) => t !== hub);
    // The hub dies while a follower's publish is on its way: it may or may not have been stored.
    const pending = rest[0]!.client.publish('feed', 'queued');
    hub.crash();
    for (let i = 20; i < 40; i++) server.store('feed', i);
    server.store('extra', 'e');
    const { offset } = await pending;
    await vi.waitFor(() => expect(hubs(rest)).toHaveLength(1));
    expect(server.conns.size).toBe(1);
    // 40 stored by the server and the publish exactly once: 41 messages, each once, in order.
    expect(server.log.get('feed')!.filter((d) => d === 'queued')).toHaveLength(1);
    expect(offset).toBeGreaterThan(20);
    for (const t of rest) await vi.waitFor(() => expect(t.got.feed).toEqual(range(41)));
    if (rest.includes(tabs[2]!)) await vi.waitFor(() => expect(tabs[2]!.got.extra).toEqual([1]));
    // A subscribe after the takeover works.
    await rest[1]!.subscribe('late');
    server.store('late', 'hi');
    await vi.waitFor(() => expect(rest[1]!.got.late).toEqual([1]));
  });

  it('a frozen hub keeps its lock: a follower whose pings go unanswered steals it within ~1.5 s', async () => {
    const a = openTab('a');
    await a.subscribe('feed');
    const b = openTab('b');
    await b.subscribe('feed');
    expect(hubs([a, b])).toEqual([a]);
    const frozenAt = Date.now();
    a.freeze();
    await vi.waitFor(() => expect(b.group()?.hub).toBeTruthy(), { timeout: 3000 });
    expect(Date.now() - frozenAt).toBeLessThan(2000);
    // The frozen tab's hold was stolen: it stepped down.
    expect(a.group()?.hub).toBeNull();
    server.store('feed', 'after');
    await vi.waitFor(() => expect(b.got.feed).toEqual([1]));
  });

  it('the hub: one server subscription per channel; a link behind the stream makes the server replay; nobody gets an offset twice', async () => {
    const posted: ShareMessage[] = [];
    const sent: ClientFrame[] = [];
    const factory = server.factory('hub', () => false);
    const spy: TransportFactory = {
      name: 'websocket',
      create: (ctx) => {
        const t = factory.create(ctx);
        return { ...t, name: t.name, duplex: true, open: t.open, close: t.close, send: (f) => (sent.push(...f), t.send(f)) };
      },
    };
    const hub = new Hub(
      options,
      { runtime: {}, factories: { websocket: spy } },
      { id: 'H', post: (m) => posted.push(structuredClone(m)), liveTabs: async () => undefined },
      { createCoreClient, AnywireError },
    );
    await vi.waitFor(() => expect(hub.connected).toBe(true));
    const down = (link: string) =>
      posted
        .flatMap((m) => (m.k === 'down' && m.links.includes(link) ? m.frames : []))
        .map((f) => (f.t === 'msg' ? f.o : f.t === 'subd' ? `subd:${f.o}:${f.r}` : f.t));
    for (const l of ['L1', 'L2', 'L3']) hub.open(l, 'tab-' + l, 'websocket');
    expect(posted.filter((m) => m.k === 'opened')).toHaveLength(3);

    hub.up('L1', [{ t: 'sub', id: 1, ch: 'feed' }]);
    await vi.waitFor(() => expect(down('L1')).toEqual(['subd:0:false']));
    for (let i = 0; i < 5; i++) server.store('feed', i);
    await vi.waitFor(() => expect(down('L1')).toEqual(['subd:0:false', 1, 2, 3, 4, 5]));

    // Behind the stream: the server replays from 2 for L2; L1 gets none of it again.
    hub.up('L2', [{ t: 'sub', id: 7, ch: 'feed', since: { e: 'E', o: 2 } }]);
    await vi.waitFor(() => expect(down('L2')).toEqual(['subd:2:true', 3, 4, 5]));
    // At the head: answered by the hub, no server round trip.
    const subsBefore = sent.filter((f) => f.t === 'sub').length;
    hub.up('L3', [{ t: 'sub', id: 3, ch: 'feed', since: { e: 'E', o: 5 } }]);
    await vi.waitFor(() => expect(down('L3')).toEqual(['subd:5:true']));
    expect(sent.filter((f) => f.t === 'sub')).toHaveLength(subsBefore);

    server.store('feed', 5);
    await vi.waitFor(() => expect([down('L1'), down('L2'), down('L3')].map((d) => d.at(-1))).toEqual([6, 6, 6]));
    expect(down('L1')).toEqual(['subd:0:false', 1, 2, 3, 4, 5, 6]);

    // Publishes: forwarded with their own id, the ack back to the link that sent it only.
    hub.up('L2', [{ t: 'pub', id: 'p-1', ch: 'feed', d: 'x' } as ClientFrame]);
    await vi.waitFor(() => expect(down('L2')).toContain('ack'));
    expect(down('L1')).not.toContain('ack');

    // A tab's token refresh stays in the browser: the connection's token is the hub's to refresh.
    const before = sent.length;
    hub.up('L1', [{ t: 'auth', token: 'fresh' } as ClientFrame]);
    expect(sent.length).toBe(before);

    // A `sub` with more than a position (a rewind, presence data) always goes to the server, as
    // the link's own, with what it asked for.
    hub.open('L4', 'tab-L4', 'websocket');
    hub.up('L4', [{ t: 'sub', id: 9, ch: 'feed', rewind: 2 } as ClientFrame]);
    await vi.waitFor(() => expect(down('L4')[0]).toMatch(/^subd:/));
    expect(sent.filter((f) => f.t === 'sub').at(-1)).toMatchObject({ ch: 'feed', rewind: 2 });
    hub.close('L4');

    // The channel's last link leaves: one `unsub` on the server.
    hub.up('L1', [{ t: 'unsub', ch: 'feed' }]);
    hub.close('L2');
    expect(sent.filter((f) => f.t === 'unsub')).toHaveLength(0);
    hub.up('L3', [{ t: 'unsub', ch: 'feed' }]);
    expect(sent.filter((f) => f.t === 'unsub')).toEqual([{ t: 'unsub', ch: 'feed' }]);
    hub.stop();
  });

  it('tabs of another url or token are in another group; without the APIs a client keeps its own connection', () => {
    expect(groupKey(options)).toBe(groupKey({ ...options }));
    expect(groupKey(options)).not.toBe(groupKey({ ...options, token: 'alice' }));
    expect(groupKey({ ...options, token: 'alice' })).not.toBe(groupKey({ ...options, token: 'bob' }));
    expect(groupKey({ ...options, token: () => 'a' })).not.toBe(groupKey({ ...options, token: () => 'b' }));
    expect(groupKey(options)).not.toBe(groupKey({ ...options, url: 'http://other.test/anywire' }));
    expect(groupKey(options)).not.toBe(groupKey({ ...options, shareConnection: 'user-2' }));
    const env: ClientEnvironment = { runtime: {}, factories: { websocket: server.factory('x', () => false) } };
    const loader = vi.fn();
    expect(shareEnvironment({ ...options, shareConnection: false }, env, loader)).toBe(env);
    vi.stubGlobal('BroadcastChannel', undefined);
    expect(shareEnvironment(options, env, loader)).toBe(env);
    vi.stubGlobal('BroadcastChannel', class {});
    expect(loader).not.toHaveBeenCalled();
  });

  it("the server is down at start-up: every tab's connect() rejects as the hub's did", async () => {
    server.down = true;
    const a = openTab('a');
    const b = openTab('b');
    const started = Date.now();
    const [ea, eb] = await Promise.all([
      a.client.connect().catch((e: AnywireError) => e),
      b.client.connect().catch((e: AnywireError) => e),
    ]);
    expect([ea, eb].map((e) => (e as AnywireError).code)).toEqual(['TRANSPORTS_EXHAUSTED', 'TRANSPORTS_EXHAUSTED']);
    expect(Date.now() - started).toBeLessThan(3000);
    // Back up: both come back through one connection.
    server.down = false;
    await Promise.all([a.subscribe('x'), b.subscribe('x')]);
    expect(server.conns.size).toBe(1);
  });

  it('the share module fails to load: the client keeps its own connection', async () => {
    const env: ClientEnvironment = { runtime: {}, factories: { websocket: server.factory('x', () => false) } };
    const client = createCoreClient(
      options,
      shareEnvironment(options, env, () => Promise.reject(new Error('blocked by CSP'))),
    );
    clients.push(client);
    await client.connect();
    expect(server.conns.size).toBe(1);
    expect(client.state).toBe('connected');
  });
});
