// The hub: the one tab of a share group that holds the connection to the server. The connection
// is an ordinary core client (its ladder, reconnects, heartbeats and probes); the hub taps the
// transport that client adopted and multiplexes every tab's links over it:
//
// - a channel several links subscribe to is one server subscription; its messages go to every
//   link subscribed, each link getting only offsets above the last one it was given;
// - a link that resubscribes from an offset the stream has already passed makes the hub
//   resubscribe on the server from that offset: the server replays, and the links already live
//   skip what they had (exactly once, by offset, per link);
// - publishes are forwarded with their own ids, so the server's de-duplication makes every retry
//   (a new hub after a takeover) safe; acks and errors go back to the link that sent them.
//
// When the server connection drops, every link closes: the tabs' clients reconnect through the
// next connection and resume from their own offsets, exactly as after any reconnect.
import type { CloseInfo, Transport, TransportFactory, TransportName } from '../../adapters/types.js';
import type { ChannelPosition } from '../../core/transport.js';
import type { Client, ClientEnvironment } from '../../core/client.js';
import type { ClientFrame, ServerFrame, SubscribeFrame, SubscribedFrame, WelcomeFrame } from '../../core/frames.js';
import type { ClientOptions } from '../../core/options.js';
import type { ShareDeps, ShareMessage } from './messages.js';

type Since = SubscribeFrame['since'];

interface Member {
  /** The link's own `sub` id (its client matches `subd` and `err` by it). */
  id: number;
  since: Since;
  /** Confirmed to the link: messages flow to it. */
  live: boolean;
  /** The last offset this link was given (or confirmed from). */
  offset: number;
  /** The link's `sub` frame, with any fields the hub does not know (e.g. rewind, presence data). */
  frame: SubscribeFrame;
  /** Id of the server `sub` whose answer is this link's own (0: none). */
  wait: number;
}

interface HubChannel {
  name: string;
  members: Map<string, Member>;
  /** Id of the server `sub` in flight (0: none) and what it asked from. */
  reqId: number;
  reqSince: Since;
  /** Id of the server `sub` that the stream answers (the last confirmed). */
  subId: number;
  /** The server stream: epoch, the offset it has reached, the highest offset seen. */
  epoch?: string | undefined;
  pos: number;
  max: number;
}

interface HubLink {
  id: string;
  tab: string;
  opened: number;
  channels: Set<string>;
}

/** A tapped transport: the hub sees what the core client's adopted transport receives. */
interface Tap extends Transport {
  welcome?: WelcomeFrame | undefined;
  closed: boolean;
}

/** Bound on forwarded publishes waiting for their ack (each tab's client bounds its own queue). */
const MAX_PUBS = 10_000;
/** How often the hub checks which tabs still exist (their presence locks). */
const SWEEP_MS = 2000;

export interface HubHost {
  id: string;
  post(msg: ShareMessage): void;
  /** Names of the tabs whose presence lock is held (the tabs that are alive). */
  liveTabs(): Promise<Set<string> | undefined>;
}

export class Hub {
  readonly client: Client;
  readonly #host: HubHost;
  readonly #links = new Map<string, HubLink>();
  readonly #channels = new Map<string, HubChannel>();
  /** Publish id → link. */
  readonly #pubs = new Map<string, string>();
  /** Our numeric id of a forwarded request → its link and the link's own id. */
  readonly #reqs = new Map<number, { link: string; id: number }>();
  readonly #held: Array<{ link: string; tab: string; want: TransportName }> = [];
  readonly #taps: Tap[] = [];
  #current: Tap | null = null;
  #seq = 0;
  #lastError: { code: string; reason: string } = { code: 'DISCONNECTED', reason: 'the shared connection is down' };
  #sweep: ReturnType<typeof setInterval>;
  #stopped = false;

  constructor(options: ClientOptions, env: ClientEnvironment, host: HubHost, deps: ShareDeps) {
    this.#host = host;
    const factories: ClientEnvironment['factories'] = {};
    for (const f of Object.values(env.factories)) if (f) factories[f.name] = this.#tapped(f);
    this.client = deps.createCoreClient({ ...options, shareConnection: false, autoConnect: true }, { ...env, factories });
    this.client.on('state', ({ state }) => {
      if (state === 'connected') return this.#up();
      this.#down();
      // The first connect failed: the held opens fail with it, as their own would have.
      for (const h of this.#held.splice(0)) this.#host.post({ k: 'refused', link: h.link, hub: host.id, ...this.#lastError });
    });
    this.client.on('transport', ({ transport }) => transport && this.client.state === 'connected' && this.#up());
    this.client.on('error', (err) => (this.#lastError = { code: err.code, reason: err.message }));
    this.#sweep = setInterval(() => void this.#sweepLinks(), SWEEP_MS);
    host.post({ k: 'lead', hub: host.id });
  }

  /** Steps down: the connection closes, every link with it. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweep);
    this.#down('the tab holding the shared connection stepped down');
    this.client.close();
    this.#host.post({ k: 'gone', hub: this.#host.id });
  }

  get connected(): boolean {
    return !!this.#current;
  }

  // ---- the server side -----------------------------------------------------------------------

  #tapped(factory: TransportFactory): TransportFactory {
    return {
      name: factory.name,
      create: (ctx) => {
        // The HTTP transports carry the positions of the connection's subscriptions: the hub's.
        const inner = factory.create({ ...ctx, positions: () => this.#positions() });
        const tap: Tap = {
          name: inner.name,
          duplex: inner.duplex,
          closed: false,
          open: (handlers, signal) =>
            inner.open(
              {
                onFrames: (frames) => {
                  if (!tap.welcome) tap.welcome = frames.find((f): f is WelcomeFrame => f.t === 'welcome');
                  handlers.onFrames(frames);
                  if (this.#current !== tap) return;
                  try {
                    this.#fromServer(frames);
                  } catch (err) {
                    // A fault here must not break the connection's own processing: it is kept as
                    // the reason given to the tabs, whose clients recover by offsets on reconnect.
                    this.#lastError = { code: 'PROTOCOL_ERROR', reason: `shared connection: ${String(err)}` };
                  }
                },
                onClose: (info: CloseInfo) => {
                  this.#closed(tap);
                  handlers.onClose(info);
                },
              },
              signal,
            ),
          send: (frames) => inner.send(frames),
          close: () => {
            this.#closed(tap);
            inner.close();
          },
        };
        this.#taps.push(tap);
        return tap;
      },
    };
  }

  /** The connection's position in every channel, as the core's own would say it. */
  #positions(): ChannelPosition[] {
    const out: ChannelPosition[] = [];
    for (const ch of this.#channels.values()) {
      if (ch.reqId) out.push({ name: ch.name, subId: ch.reqId, epoch: ch.reqSince?.e, offset: ch.reqSince?.o, confirmed: false });
      else if (ch.epoch !== undefined) out.push({ name: ch.name, subId: ch.subId, epoch: ch.epoch, offset: ch.pos, confirmed: true });
    }
    return out;
  }

  #closed(tap: Tap): void {
    tap.closed = true;
    const i = this.#taps.indexOf(tap);
    if (i >= 0) this.#taps.splice(i, 1);
    if (this.#current === tap) this.#down();
  }

  /** The core client adopted a link: the newest tapped transport with a welcome. */
  #up(): void {
    const tap = [...this.#taps].reverse().find((t) => t.welcome && !t.closed);
    if (!tap || tap === this.#current || this.#stopped) return;
    if (this.#current) this.#down();
    this.#current = tap;
    this.#host.post({ k: 'ready', hub: this.#host.id, name: tap.name });
    for (const h of this.#held.splice(0)) this.open(h.link, h.tab, h.want);
  }

  /** The connection is gone: every link closes, and reconnects through the next one. */
  #down(reason = 'the shared connection dropped'): void {
    if (!this.#current) return;
    this.#current = null;
    for (const id of this.#links.keys()) this.#host.post({ k: 'close', link: id, hub: this.#host.id, reason });
    this.#links.clear();
    this.#channels.clear();
    this.#pubs.clear();
    this.#reqs.clear();
  }

  #send(frames: ClientFrame[]): void {
    if (frames.length && this.#current) this.#current.send(frames);
  }

  // ---- links ---------------------------------------------------------------------------------

  /** A link asks for the connection on rung `want`. */
  open(link: string, tab: string, want: TransportName): void {
    const hub = this.#host.id;
    const cur = this.#current;
    if (this.#stopped) return;
    if (!cur) {
      // The first connect is under way: hold the request (its client times it out); later, while
      // the connection is down, refuse at once with why, so the tab's client backs off as ours does.
      if (this.client.state === 'connecting') {
        if (this.#held.length < 1000) this.#held.push({ link, tab, want });
        return this.#host.post({ k: 'wait', link, hub });
      }
      return this.#host.post({ k: 'refused', link, hub, ...this.#lastError });
    }
    if (want !== cur.name) {
      return this.#host.post({ k: 'refused', link, hub, code: 'DISCONNECTED', reason: `the shared connection uses ${cur.name}` });
    }
    if (!this.#links.has(link)) this.#links.set(link, { id: link, tab, opened: Date.now(), channels: new Set() });
    this.#host.post({ k: 'opened', link, hub, welcome: cur.welcome! });
  }

  /** Frames from a link's client. */
  up(id: string, frames: ClientFrame[]): void {
    const link = this.#links.get(id);
    if (!link) return this.#host.post({ k: 'close', link: id, hub: this.#host.id, reason: 'unknown link' });
    const out: ClientFrame[] = [];
    const back: ServerFrame[] = [];
    for (const f of frames) {
      switch (f.t) {
        case 'sub':
          this.#subscribe(link, f, out);
          break;
        case 'unsub':
          this.#unsubscribe(link, f.ch, out);
          break;
        case 'pub':
          if (this.#pubs.size >= MAX_PUBS) {
            back.push({ t: 'err', id: f.id, ch: f.ch, code: 'RATE_LIMITED', msg: 'too many publishes waiting in the shared connection' });
            break;
          }
          this.#pubs.set(f.id, id);
          out.push(f);
          break;
        case 'ping':
          back.push({ t: 'pong' });
          break;
        // The connection's token is the hub's to refresh (its own client does); every tab's client
        // hears the server's `authd` to it, so theirs need not go out (N tabs, one refresh).
        case 'pong':
        case 'connect':
        case 'auth':
          break;
        default: {
          // A request of a kind the hub does not know: forwarded, its numeric id mapped to ours.
          const g = f as { id?: unknown };
          if (typeof g.id === 'number') {
            const mine = ++this.#seq;
            this.#reqs.set(mine, { link: id, id: g.id });
            out.push({ ...(f as object), id: mine } as ClientFrame);
          } else out.push(f);
        }
      }
    }
    this.#send(out);
    if (back.length) this.#host.post({ k: 'down', links: [id], hub: this.#host.id, frames: back });
  }

  /** A link closed (its client moved on, or its tab is gone). */
  close(id: string): void {
    const held = this.#held.findIndex((h) => h.link === id);
    if (held >= 0) this.#held.splice(held, 1);
    const link = this.#links.get(id);
    if (!link) return;
    this.#links.delete(id);
    const out: ClientFrame[] = [];
    for (const ch of link.channels) this.#unsubscribe(link, ch, out);
    for (const [pub, l] of this.#pubs) if (l === id) this.#pubs.delete(pub);
    for (const [n, r] of this.#reqs) if (r.link === id) this.#reqs.delete(n);
    this.#send(out);
  }

  /** Links whose tab no longer holds its presence lock (closed, crashed) are closed. */
  async #sweepLinks(): Promise<void> {
    if (!this.#links.size) return;
    const live = await this.#host.liveTabs();
    if (!live) return;
    const now = Date.now();
    for (const link of [...this.#links.values()]) if (!live.has(link.tab) && now - link.opened > SWEEP_MS) this.close(link.id);
  }

  // ---- channels ------------------------------------------------------------------------------

  #subscribe(link: HubLink, f: SubscribeFrame, out: ClientFrame[]): void {
    let ch = this.#channels.get(f.ch);
    if (!ch) {
      ch = { name: f.ch, members: new Map(), reqId: 0, reqSince: undefined, subId: 0, pos: 0, max: 0 };
      this.#channels.set(f.ch, ch);
    }
    const m: Member = { id: f.id, since: f.since, live: false, offset: 0, frame: f, wait: 0 };
    ch.members.set(link.id, m);
    link.channels.add(f.ch);
    if (ch.reqId) {
      // A request in flight: the same ask shares its answer; any other is settled when it comes.
      if (!extra(f) && sameSince(f.since, ch.reqSince)) m.wait = ch.reqId;
      return;
    }
    if (ch.epoch === undefined) return this.#request(ch, m, out);
    this.#admit(ch, link.id, m, out);
  }

  /**
   * A link joins a running stream, or needs the server to answer it: when it is behind the
   * stream, or its `sub` asks for more than a position (a rewind, presence data).
   */
  #admit(ch: HubChannel, link: string, m: Member, out: ClientFrame[], back?: Map<string, ServerFrame[]>): void {
    const s = m.since;
    let answer: SubscribedFrame;
    if (extra(m.frame)) return this.#request(ch, m, out);
    if (!s) answer = { t: 'subd', id: m.id, ch: ch.name, e: ch.epoch!, o: ch.max, r: false };
    else if (s.e === ch.epoch && s.o >= ch.pos && s.o <= ch.max) answer = { t: 'subd', id: m.id, ch: ch.name, e: s.e, o: s.o, r: true };
    else return this.#request(ch, m, out);
    m.live = true;
    m.offset = answer.o;
    if (back) push(back, link, answer);
    else this.#host.post({ k: 'down', links: [link], hub: this.#host.id, frames: [answer] });
  }

  /** Subscribes on the server with the member's own frame (our id): the answer is the member's. */
  #request(ch: HubChannel, m: Member, out: ClientFrame[]): void {
    m.wait = ch.reqId = ++this.#seq;
    ch.reqSince = m.since;
    out.push({ ...m.frame, id: ch.reqId });
  }

  #unsubscribe(link: HubLink, name: string, out: ClientFrame[]): void {
    link.channels.delete(name);
    const ch = this.#channels.get(name);
    if (!ch || !ch.members.delete(link.id) || ch.members.size) return;
    this.#channels.delete(name);
    out.push({ t: 'unsub', ch: name });
  }

  /** The server answered our request for a channel: answer each waiting link from its own position. */
  #confirmed(ch: HubChannel, f: SubscribedFrame, back: Map<string, ServerFrame[]>, out: ClientFrame[]): void {
    const lost = ch.epoch !== undefined && ch.epoch !== f.e;
    ch.reqId = 0;
    ch.subId = f.id;
    ch.epoch = f.e;
    ch.pos = f.o;
    ch.max = lost ? f.o : Math.max(ch.max, f.o);
    for (const [link, m] of ch.members) {
      if (m.live) {
        // The history under the live links was lost: they hear it as a gap, as on their own connection.
        if (lost && f.gap) {
          m.offset = f.o;
          push(back, link, { ...f, id: m.id });
        }
      } else if (m.wait === f.id) {
        m.live = true;
        m.wait = 0;
        m.offset = f.o;
        push(back, link, { ...f, id: m.id });
      } else if (!ch.reqId) this.#admit(ch, link, m, out, back);
    }
  }

  // ---- from the server -----------------------------------------------------------------------

  #fromServer(frames: ServerFrame[]): void {
    const back = new Map<string, ServerFrame[]>();
    const groups: Array<{ links: string[]; frames: ServerFrame[] }> = [];
    const out: ClientFrame[] = [];
    const flush = () => {
      for (const [link, fs] of back) groups.push({ links: [link], frames: fs });
      back.clear();
    };
    for (const f of frames) {
      switch (f.t) {
        case 'msg': {
          const ch = this.#channels.get(f.ch);
          if (!ch) break;
          ch.pos = f.o;
          ch.max = Math.max(ch.max, f.o);
          const to: string[] = [];
          for (const [link, m] of ch.members) {
            if (m.live && f.o > m.offset) {
              m.offset = f.o;
              to.push(link);
            }
          }
          if (!to.length) break;
          flush();
          // Consecutive messages for the same links travel as one batch.
          const last = groups[groups.length - 1];
          if (last && last.links.length === to.length && last.links.every((l, i) => l === to[i])) last.frames.push(f);
          else groups.push({ links: to, frames: [f] });
          break;
        }
        case 'subd': {
          const ch = this.#channels.get(f.ch);
          if (ch && ch.reqId === f.id) this.#confirmed(ch, f, back, out);
          break;
        }
        case 'ack':
        case 'err':
          this.#answer(f, back);
          break;
        case 'welcome':
        case 'ping':
        case 'pong':
          break;
        default: {
          // A frame kind the hub does not know: an answer by id, or news of a channel, or for all.
          const g = f as { id?: unknown; ch?: unknown };
          const req = typeof g.id === 'number' ? this.#reqs.get(g.id) : undefined;
          if (req) {
            this.#reqs.delete(g.id as number);
            push(back, req.link, { ...(f as object), id: req.id } as ServerFrame);
          } else if (typeof g.ch === 'string') {
            const ch = this.#channels.get(g.ch);
            for (const [link, m] of ch?.members ?? []) if (m.live) push(back, link, f);
          } else for (const link of this.#links.keys()) push(back, link, f);
        }
      }
    }
    flush();
    this.#send(out);
    for (const g of groups) this.#host.post({ k: 'down', links: g.links, hub: this.#host.id, frames: g.frames });
  }

  /** An `ack` or `err`: to the link whose publish or request it answers; a connection error to all. */
  #answer(f: Extract<ServerFrame, { t: 'ack' | 'err' }>, back: Map<string, ServerFrame[]>): void {
    if (typeof f.id === 'string') {
      const link = this.#pubs.get(f.id);
      if (link === undefined) return; // its tab is gone; the publish was stored once all the same
      this.#pubs.delete(f.id);
      return push(back, link, f);
    }
    if (f.t === 'err' && typeof f.id === 'number') {
      const req = this.#reqs.get(f.id);
      if (req) {
        this.#reqs.delete(f.id);
        return push(back, req.link, { ...f, id: req.id });
      }
      // A refused subscribe: the server dropped the channel for this connection, so every link
      // on it hears the refusal with its own id (a passing one makes each resubscribe).
      for (const ch of this.#channels.values()) {
        if (ch.reqId !== f.id) continue;
        this.#channels.delete(ch.name);
        for (const [link, m] of ch.members) {
          this.#links.get(link)?.channels.delete(ch.name);
          push(back, link, { ...f, id: m.id });
        }
        return;
      }
      return;
    }
    for (const link of this.#links.keys()) push(back, link, f);
  }
}

function push(map: Map<string, ServerFrame[]>, link: string, f: ServerFrame): void {
  const list = map.get(link);
  if (list) list.push(f);
  else map.set(link, [f]);
}

/** A `sub` that carries more than a position. */
function extra(f: SubscribeFrame): boolean {
  return Object.keys(f).some((k) => k !== 't' && k !== 'id' && k !== 'ch' && k !== 'since');
}

function sameSince(a: Since, b: Since): boolean {
  return a === b || (!!a && !!b && a.e === b.e && a.o === b.o);
}
