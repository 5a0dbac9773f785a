// A share group in one tab: the clients of this tab that share one connection with the other tabs
// of the origin (same url, token identity and key). The group runs the election (a Web Lock: its
// holder is the hub), carries the messages between tabs (a BroadcastChannel), and gives each
// client's core a virtual transport, a link, to the hub, wherever the hub is (this tab included).
//
// Takeover: a closed, crashed or navigated tab releases its locks, so the next tab's queued lock
// request is granted at once and it announces itself with `lead`. A frozen tab keeps its lock, so
// a link whose hub stops answering its pings (or an open nobody answers) steals the lock.
import type { Transport, TransportHandlers, TransportName } from '../../adapters/types.js';
import type { ClientEnvironment, LifecycleHooks } from '../../core/client.js';
import type { Code } from '../../core/codes.js';
import type { AnywireError } from '../../core/errors.js';
import type { ClientFrame, WelcomeFrame } from '../../core/frames.js';
import type { ClientOptions } from '../../core/options.js';
import { Hub } from './hub.js';
import type { ShareDeps, ShareMessage } from './messages.js';

/** What the group needs of the platform (the browser's, or fakes in tests). */
export interface SharePlatform {
  locks: LockManager;
  BroadcastChannel: typeof BroadcastChannel;
}

/** ms between a link's pings of its hub, and how long an unanswered one may wait. */
export const PING_MS = 250;
export const DEAD_MS = 1000;

const groups = new Map<string, Group>();

/** The version of the messages between tabs (messages.ts); a change makes a new group. */
const SHARE_VERSION = 1;

const randomId = () => Math.random().toString(36).slice(2, 10) + Date.now().toString(36);

/** This tab's group for the client's options, created by its first client. */
export function joinGroup(options: ClientOptions, env: ClientEnvironment, deps: ShareDeps, platform?: SharePlatform): Group {
  const key = groupKey(options, deps.v);
  let g = groups.get(key);
  if (!g || g.closed) {
    g = new Group(key, options, env, deps, platform ?? { locks: navigator.locks, BroadcastChannel });
    groups.set(key, g);
  }
  return g;
}

/**
 * The group's name: tabs share only with the same url, ladder, key and token identity. A static
 * token is compared by value, a token function by its source text (tabs running the same code);
 * an app whose tabs may hold different users with one function names the user in the key.
 */
export function groupKey(options: ClientOptions, v?: number): string {
  const t = options.token;
  const token = t === undefined ? '' : typeof t === 'function' ? 'f' + String(t) : 's' + t;
  // SHARE_VERSION: tabs running another release of this code (before and after a deploy) do not
  // mix their messages; they form two groups until the old tabs reload.
  const parts = [
    SHARE_VERSION,
    v,
    String(options.url).replace(/\/+$/, ''),
    (options.transports ?? []).join(),
    String(options.shareConnection),
    token,
  ];
  return 'anywire-share:' + hash(JSON.stringify(parts));
}

/** cyrb53: a 53-bit string hash (not a secret: lock and channel names are the origin's only). */
function hash(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

export class Group {
  readonly key: string;
  readonly tab = randomId();
  closed = false;
  hub: Hub | null = null;
  /** The hub this tab last heard of. */
  leader: string | undefined;
  readonly #options: ClientOptions;
  readonly #env: ClientEnvironment;
  readonly #platform: SharePlatform;
  readonly deps: ShareDeps;
  readonly #bc: BroadcastChannel;
  readonly #links = new Map<string, Link>();
  readonly #hooks = new Set<LifecycleHooks>();
  #users = 0;
  #election: AbortController | null = null;
  #release: (() => void) | undefined;
  #releaseTab: (() => void) | undefined;
  #stealing = false;
  #paused = false;
  readonly #unlisten: () => void;

  constructor(key: string, options: ClientOptions, env: ClientEnvironment, deps: ShareDeps, platform: SharePlatform) {
    this.key = key;
    this.deps = deps;
    this.#options = options;
    this.#env = env;
    this.#platform = platform;
    this.#bc = new platform.BroadcastChannel(key);
    this.#bc.onmessage = (ev: MessageEvent) => this.#dispatch(ev.data as ShareMessage);
    // This tab's presence: the hub closes the links of tabs whose lock is gone.
    void platform.locks
      .request(`${key}:tab:${this.tab}`, () => new Promise<void>((resolve) => (this.#releaseTab = resolve)))
      .catch(() => {});
    this.#unlisten = this.#watchPage();
    this.#elect();
  }

  /**
   * A client of this tab joins: it is poked when a hub is ready, and `platform` (the page's own
   * lifecycle signals) is wired to it. Returns its leave function.
   */
  attach(hooks: LifecycleHooks, platform?: ClientEnvironment['lifecycle']): () => void {
    this.#users++;
    this.#hooks.add(hooks);
    const off = platform?.(hooks);
    return () => {
      off?.();
      if (!this.#hooks.delete(hooks)) return;
      if (--this.#users === 0) this.close();
    };
  }

  /** A new link (one connect attempt of one client) on rung `name`. */
  transport(name: TransportName): Transport {
    return new Link(this, name);
  }

  close(): void {
    if (this.closed) return;
    // Stepping down first, while the channel is open: the other tabs hear `gone` at once.
    this.#resign();
    this.closed = true;
    this.#unlisten();
    this.#releaseTab?.();
    for (const link of [...this.#links.values()]) link.die('closed');
    this.#bc.close();
    if (groups.get(this.key) === this) groups.delete(this.key);
  }

  // ---- the bus -------------------------------------------------------------------------------

  /** To every tab of the group, this one included (a BroadcastChannel skips its own sender). */
  post(msg: ShareMessage): void {
    if (this.closed) return;
    try {
      this.#bc.postMessage(msg);
    } catch {
      // a frame that cannot be cloned: nothing else to do, its client times it out
    }
    queueMicrotask(() => this.#dispatch(msg));
  }

  #dispatch(msg: ShareMessage): void {
    if (this.closed || !msg || typeof msg !== 'object') return;
    try {
      this.#route(msg);
    } catch {
      // A message this code cannot handle must not stop the tab's other links: it is dropped, and
      // a client whose frames it carried times out and reconnects as after any loss.
    }
  }

  #route(msg: ShareMessage): void {
    const hub = this.hub;
    switch (msg.k) {
      case 'lead':
      case 'ready':
      case 'gone':
        if (msg.k === 'gone') {
          if (this.leader === msg.hub) this.leader = undefined;
        } else this.leader = msg.hub;
        for (const link of [...this.#links.values()]) link.hubNews(msg);
        if (msg.k === 'ready') for (const h of [...this.#hooks]) h.online();
        return;
      case 'open':
        return hub?.open(msg.link, msg.tab, msg.want);
      case 'up':
        if (hub && msg.hub === this.tab) hub.up(msg.link, msg.frames);
        return;
      case 'ping':
        if (hub && msg.hub === this.tab) this.post({ k: 'pong', link: msg.link, hub: msg.hub });
        return;
      case 'close':
        if (hub && msg.hub === this.tab) hub.close(msg.link);
        return this.#links.get(msg.link)?.fromHub(msg);
      case 'down':
        for (const id of msg.links) this.#links.get(id)?.fromHub(msg);
        return;
      default:
        return this.#links.get(msg.link)?.fromHub(msg);
    }
  }

  /** @internal */ addLink(link: Link): void {
    this.#links.set(link.id, link);
  }

  /** @internal */ removeLink(link: Link): void {
    this.#links.delete(link.id);
  }

  // ---- the election --------------------------------------------------------------------------

  #elect(steal = false): void {
    if (this.closed || this.#paused || this.hub || (this.#election && !steal)) return;
    this.#election?.abort();
    const abort = new AbortController();
    this.#election = abort;
    const held = (): Promise<void> => {
      if (this.closed || this.#paused || this.#election !== abort) return Promise.resolve();
      this.hub = new Hub(
        this.#options,
        this.#env,
        {
          id: this.tab,
          post: (m) => this.post(m),
          liveTabs: () => this.#liveTabs(),
        },
        this.deps,
      );
      return new Promise<void>((resolve) => (this.#release = resolve));
    };
    const request = steal
      ? this.#platform.locks.request(this.key, { steal: true }, held)
      : this.#platform.locks.request(this.key, { signal: abort.signal }, held);
    request.then(
      () => this.#lost(abort),
      // Aborted (we resigned), or stolen by a tab that found us unresponsive.
      () => this.#lost(abort),
    );
  }

  /** Our hold on the lock ended: step down, and queue again unless we are leaving. */
  #lost(abort: AbortController): void {
    if (this.#election !== abort) return;
    this.#election = null;
    this.#stopHub();
    this.#elect();
  }

  #stopHub(): void {
    const hub = this.hub;
    this.hub = null;
    this.#release?.();
    this.#release = undefined;
    hub?.stop();
  }

  /** Leaves the election (page hidden for good, frozen, or the last client closed). */
  #resign(): void {
    const abort = this.#election;
    this.#election = null;
    abort?.abort();
    this.#stopHub();
  }

  /**
   * A hub did not answer: if the lock is still held by someone else, take it (a frozen tab keeps
   * its lock). A short random wait lets one tab do it; the others hear its `lead`.
   */
  suspect(hub: string | undefined): void {
    if (this.hub || this.#stealing || this.closed || this.#paused) return;
    this.#stealing = true;
    setTimeout(() => {
      this.#stealing = false;
      // Someone else took over meanwhile (its `lead` arrived): nothing to do.
      if (this.hub || this.closed || this.leader !== hub) return;
      void this.#platform.locks.query().then((state) => {
        const holder = state.held?.some((l) => l.name === this.key);
        if (holder && !this.hub && this.leader === hub) this.#elect(true);
      });
    }, Math.random() * 200);
  }

  async #liveTabs(): Promise<Set<string> | undefined> {
    try {
      const state = await this.#platform.locks.query();
      const prefix = `${this.key}:tab:`;
      return new Set((state.held ?? []).flatMap((l) => (l.name?.startsWith(prefix) ? [l.name.slice(prefix.length)] : [])));
    } catch {
      return undefined;
    }
  }

  // ---- the page ------------------------------------------------------------------------------

  /** A page that is frozen or leaves steps down first; one that comes back queues again. */
  #watchPage(): () => void {
    if (typeof document === 'undefined' || typeof window === 'undefined') return () => {};
    const pause = () => {
      this.#paused = true;
      this.#resign();
    };
    const resume = () => {
      this.#paused = false;
      this.#elect();
    };
    const listeners: Array<[EventTarget, string, () => void]> = [
      [document, 'freeze', pause],
      [document, 'resume', resume],
      [window, 'pagehide', pause],
      [window, 'pageshow', resume],
    ];
    for (const [t, type, fn] of listeners) t.addEventListener(type, fn);
    return () => {
      for (const [t, type, fn] of listeners) t.removeEventListener(type, fn);
    };
  }
}

/** One client's virtual transport to the hub, for one connect attempt. */
class Link implements Transport {
  readonly id = randomId();
  readonly duplex = true;
  readonly name: TransportName;
  readonly #group: Group;
  #hub: string | undefined;
  #handlers: TransportHandlers | undefined;
  #welcome: WelcomeFrame | undefined;
  #settle: { resolve: () => void; reject: (e: AnywireError) => void } | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The hub that said it holds our open (its first connect is under way). */
  #waiting: string | undefined;
  #asked = 0;
  #heard = 0;
  #done = false;

  constructor(group: Group, name: TransportName) {
    this.#group = group;
    this.name = name;
  }

  open(handlers: TransportHandlers, signal: AbortSignal): Promise<void> {
    this.#handlers = handlers;
    this.#group.addLink(this);
    return new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
      if (signal.aborted) return this.#fail('CLOSED', 'aborted');
      signal.addEventListener('abort', () => this.#fail('CLOSED', 'aborted'));
      this.#ask();
      this.#timer = setInterval(() => this.#tick(), PING_MS);
    });
  }

  send(frames: ClientFrame[]): void {
    if (this.#done || !this.#hub) return;
    // A publish travels as the JSON the server would get (its data, once stringified by the core):
    // structured cloning would drop a toJSON, or throw on a value JSON just leaves out.
    const up = frames
      .filter((f) => f.t !== 'connect')
      .map((f) =>
        typeof (f as { json?: unknown }).json === 'string' ? (JSON.parse((f as unknown as { json: string }).json) as ClientFrame) : f,
      );
    // The handshake is answered here, from the welcome the hub passed on `opened`.
    if (up.length < frames.length) queueMicrotask(() => !this.#done && this.#handlers?.onFrames([this.#welcome!]));
    if (up.length) this.#group.post({ k: 'up', link: this.id, hub: this.#hub, frames: up });
  }

  close(): void {
    if (this.#done) return;
    if (this.#hub) this.#group.post({ k: 'close', link: this.id, hub: this.#hub, reason: 'closed' });
    this.#end();
  }

  /** Closes from this side with `onClose` (a hub gone, unresponsive, or closing the link). */
  die(reason: string): void {
    if (this.#done) return;
    const opened = !this.#settle;
    if (this.#hub) this.#group.post({ k: 'close', link: this.id, hub: this.#hub, reason });
    if (!opened) return this.#fail('DISCONNECTED', reason);
    this.#end();
    this.#handlers?.onClose({ reason });
  }

  #ask(): void {
    this.#asked = Date.now();
    this.#heard = 0;
    this.#group.post({ k: 'open', link: this.id, tab: this.#group.tab, want: this.name });
  }

  #tick(): void {
    const now = Date.now();
    if (this.#settle) {
      // Opening: an open nobody acknowledged (no hub, or a frozen one) lets this tab take over.
      if (!this.#heard && now - this.#asked > DEAD_MS) {
        this.#group.suspect(this.#group.leader);
        this.#ask();
      }
      return;
    }
    // Open: a ping the hub left unanswered means it is gone or frozen.
    if (this.#asked > this.#heard && now - this.#asked > DEAD_MS) {
      const hub = this.#hub;
      this.die('the tab holding the shared connection stopped answering');
      this.#group.suspect(hub);
      return;
    }
    if (this.#asked <= this.#heard) {
      this.#asked = now;
      this.#group.post({ k: 'ping', link: this.id, hub: this.#hub! });
    }
  }

  /** News of a hub: another one leads (ours is gone), or one is ready for a pending open. */
  hubNews(msg: ShareMessage & { hub: string }): void {
    if (this.#hub) {
      if (msg.hub !== this.#hub && msg.k !== 'gone') this.die('another tab took over the shared connection');
      else if (msg.k === 'gone' && msg.hub === this.#hub) this.die('the tab holding the shared connection left');
    } else if (msg.k !== 'gone' && this.#settle) this.#ask();
  }

  fromHub(msg: ShareMessage): void {
    if (this.#done) return;
    const hub = 'hub' in msg ? msg.hub : undefined;
    if (this.#hub && hub !== this.#hub) return;
    this.#heard = Date.now();
    switch (msg.k) {
      case 'wait':
        this.#waiting = msg.hub;
        return;
      case 'opened':
        if (!this.#settle) return;
        this.#hub = msg.hub;
        // A tab that joined after the hub's `lead` learns of it here.
        this.#group.leader = msg.hub;
        this.#welcome = msg.welcome;
        this.#settle.resolve();
        this.#settle = undefined;
        this.#asked = 0;
        return;
      case 'refused':
        return this.#fail(msg.code as Code, msg.reason);
      case 'close':
        return this.die(msg.reason);
      case 'down':
        if (!this.#settle) this.#handlers?.onFrames(msg.frames);
        return;
      case 'pong':
        // Proof of life for the client's heartbeat too (its link is this tab's hub).
        if (!this.#settle) this.#handlers?.onFrames([]);
        return;
    }
  }

  #fail(code: Code, reason: string): void {
    if (this.#done || !this.#settle) return;
    const settle = this.#settle;
    this.#settle = undefined;
    const hub = this.#hub ?? this.#waiting;
    if (hub) this.#group.post({ k: 'close', link: this.id, hub, reason });
    this.#end();
    settle.reject(new this.#group.deps.AnywireError(code, reason));
  }

  #end(): void {
    this.#done = true;
    clearInterval(this.#timer);
    this.#group.removeLink(this);
  }
}
