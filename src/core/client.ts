// The core client: connection state machine, fallback ladder, subscriptions with offset-based
// recovery and the publish queue. Runtime-free: transports and their runtime arrive from the entry
// point (src/browser, src/node).
import { Emitter, type Listenable } from './emitter.js';
import type { CloseInfo, Runtime, TransportFactory, TransportName } from './transport.js';
import { backoffDelay, defaultReconnect } from './backoff.js';
import { Channels, type AnySub } from './channels.js';
import type { Code } from './codes.js';
import { AnywireError, errorMessage, type TransportFailure } from './errors.js';
import { openLink, type Link } from './handshake.js';
import { asBytes, isChannel, type ClientFrame, type ErrorFrame, type ServerFrame } from './frames.js';
import { resolveOptions, type ClientOptions, type PublishOptions, type ResolvedOptions, type SubscribeOptions } from './options.js';
import { check } from './schema.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { Publisher } from './publisher.js';
import { refreshTimer } from './token-refresh.js';
import type { ClientState } from './state.js';
import { Sub, type MessageHandler, type Subscription } from './subscription.js';
import { requestHistory, type HistoryOptions, type HistoryPage } from './history.js';
import { newClientId, requestPresence } from './presence.js';

export interface ClientEvents {
  state: (ctx: { state: ClientState; previous: ClientState; reason?: string | undefined }) => void;
  transport: (ctx: { transport: TransportName | null; previous: TransportName | null }) => void;
  /** Diagnostics; the client never throws out of an event. */
  error: (err: AnywireError) => void;
}

/** The client `createClient` returns. */
export interface Client extends Listenable<ClientEvents> {
  /** 'disconnected' | 'connecting' | 'connected' | 'reconnecting'. */
  readonly state: ClientState;
  /** The transport of the current connection, or null. */
  readonly transport: TransportName | null;
  /** Resolves when connected; rejects with AnywireError (TRANSPORTS_EXHAUSTED lists every rung's failure). */
  connect(): Promise<void>;
  /** Closes: no reconnect; pending publishes and `ready`s reject with CLOSED; no timer is left. */
  close(): void;
  /**
   * Subscribes to a channel; the handler gets each message once, in offset order. With a `schema`,
   * every message is checked and the handler receives (and is typed by) the schema's output.
   */
  subscribe<S extends StandardSchemaV1>(
    channel: string,
    handler: MessageHandler<StandardSchemaV1.InferOutput<S>> | undefined,
    options: SubscribeOptions<S> & { schema: S },
  ): Subscription<StandardSchemaV1.InferOutput<S>>;
  subscribe<T = unknown>(channel: string, handler?: MessageHandler<T>, options?: SubscribeOptions): Subscription<T>;
  /**
   * Resolves with the message's offset on the server's ack; queued while disconnected. With a
   * `schema`, the data is checked (and typed by the schema's input) before it leaves.
   */
  publish<S extends StandardSchemaV1>(
    channel: string,
    data: StandardSchemaV1.InferInput<S>,
    options: PublishOptions<S> & { schema: S },
  ): Promise<{ offset: number }>;
  publish(channel: string, data: unknown, options?: PublishOptions<never>): Promise<{ offset: number }>;
  /**
   * A page of a channel's history, newest last: `{ messages: [{ data, offset }], epoch, latest }`
   * (needs `subscribe` permission). Waits for a link while disconnected; rejects with TIMEOUT
   * after `publishTimeout`.
   */
  history<T = unknown>(channel: string, options?: HistoryOptions): Promise<HistoryPage<T>>;
}

/** What an entry point hands the core: the runtime and the transports it ships. */
export interface ClientEnvironment {
  runtime: Runtime;
  factories: Partial<Record<TransportName, TransportFactory>>;
  /**
   * Platform signals (the browser entry wires `online`, `offline` and `visibilitychange`). Called
   * once; returns a function that removes the listeners (called by `close()`).
   */
  lifecycle?: (hooks: LifecycleHooks) => () => void;
}

export interface LifecycleHooks {
  /** The network came back: retry now instead of waiting for the backoff. */
  online(): void;
  /** The network went away: check the link at once. */
  offline(): void;
  /** The page became visible again: check the link, reconnect now if it is down. */
  resume(): void;
}

/** The implementation of `Client` (internal: the public type is the interface). */
class AnywireClient extends Emitter<ClientEvents> implements Client {
  readonly #opts: ResolvedOptions;
  readonly #env: ClientEnvironment;
  #_state: ClientState = 'disconnected';
  #_transport: TransportName | null = null;
  #link: Link | null = null;
  #gen = 0;
  #attempt = 0;
  /** Index in the ladder of the rung that last worked; passes start there. */
  #preferred = 0;
  #pass: Promise<void> | null = null;
  #passAbort: AbortController | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #closedByUser = false;
  /** The server's "reconnect after" hint from a SERVER_SHUTTING_DOWN or RATE_LIMITED frame. */
  #retryHint: number | undefined;
  readonly #channels: Channels;
  readonly #publisher: Publisher;
  #unhook: (() => void) | undefined;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;
  #probeAbort: AbortController | null = null;
  #healthTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions, env: ClientEnvironment) {
    super();
    this.#opts = resolveOptions(options);
    this.#env = env;
    this.#publisher = new Publisher(this.#opts.publishTimeout, this.#opts.maxQueuedPublishes, (frame) => {
      this.#link?.transport.send([frame]);
      return !!this.#link;
    });
    this.#channels = new Channels({
      send: (frames) => {
        if (!this.#link) return false;
        this.#link.transport.send(frames);
        return true;
      },
      error: (err) => this.emit('error', err),
      report: (cause, where) => this.#report(cause, where),
      retryPolicy: this.#opts.reconnect || defaultReconnect,
      clientId: newClientId(),
    });
    this.#unhook = env.lifecycle?.({
      online: () => this.#retryNow(),
      offline: () => this.#checkHealth(),
      resume: () => (this.#link ? this.#checkHealth() : this.#retryNow()),
    });
    // Deferred a microtask so listeners attached right after createClient() see 'connecting'.
    if (this.#opts.autoConnect) {
      queueMicrotask(() => {
        if (this.#_state === 'disconnected' && !this.#closedByUser) this.connect().catch(() => {});
      });
    }
  }

  get state(): ClientState {
    return this.#_state;
  }

  get transport(): TransportName | null {
    return this.#_transport;
  }

  /** Resolves when connected; rejects with AnywireError when one pass over the ladder fails. */
  connect(): Promise<void> {
    this.#closedByUser = false;
    if (this.#_state === 'connected') return Promise.resolve();
    if (this.#pass) return this.#pass;
    clearTimeout(this.#retryTimer);
    if (this.#_state === 'disconnected') {
      this.#attempt = 0;
      this.#setState('connecting');
      // A `state` listener may have closed the client, or connected it already.
      if (this.#closedByUser) return Promise.reject(new AnywireError('CLOSED', 'client closed'));
      if (this.#pass || (this.#_state as ClientState) !== 'connecting') return this.#pass ?? Promise.resolve();
    }
    return this.#runPass();
  }

  /** Closes for good: no reconnect; pending publishes reject with CLOSED. */
  close(): void {
    this.#closedByUser = true;
    this.#unhook?.();
    this.#unhook = undefined;
    clearTimeout(this.#retryTimer);
    this.#passAbort?.abort();
    this.#dropLink(false);
    this.#publisher.rejectAll('CLOSED', 'client closed');
    this.#channels.close();
    // Every timer is gone before the app hears of it (a listener may connect() again).
    this.#setTransport(null);
    if (this.#_state !== 'disconnected') this.#setState('disconnected', 'closed by client');
  }

  /** With a `schema`, the handler receives (and is typed by) the schema's output; see SubscribeOptions. */
  subscribe<S extends StandardSchemaV1>(
    channel: string,
    handler: MessageHandler<StandardSchemaV1.InferOutput<S>> | undefined,
    options: SubscribeOptions<S> & { schema: S },
  ): Subscription<StandardSchemaV1.InferOutput<S>>;
  subscribe<T = unknown>(channel: string, handler?: MessageHandler<T>, options?: SubscribeOptions): Subscription<T>;
  subscribe<T>(channel: string, handler?: MessageHandler<T>, options?: SubscribeOptions): Subscription<T> {
    const sub = new Sub<T>(
      channel,
      handler,
      (s) => this.#channels.leave(s as AnySub),
      this.#reporter,
      options ?? {},
      (ch) => requestPresence(this.#publisher, ch),
    );
    if (!isChannel(channel)) {
      queueMicrotask(() => sub.failed(new AnywireError('BAD_REQUEST', `invalid channel name "${channel}"`)));
      return sub;
    }
    this.#channels.add(sub as AnySub);
    return sub;
  }

  /** Resolves with the message's offset on the server's ack; queued while disconnected. */
  publish<S extends StandardSchemaV1>(
    channel: string,
    data: StandardSchemaV1.InferInput<S>,
    options: PublishOptions<S> & { schema: S },
  ): Promise<{ offset: number }>;
  publish(channel: string, data: unknown, options?: PublishOptions<never>): Promise<{ offset: number }>;
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<{ offset: number }> {
    if (this.#closedByUser) return Promise.reject(new AnywireError('CLOSED', 'client closed'));
    // Checked before it leaves; what is sent is the data as given (the server checks the same).
    const error = options?.schema && check(options.schema, data, channel).error;
    if (error) return Promise.reject(new AnywireError('BAD_REQUEST', error));
    if (!isChannel(channel)) {
      return Promise.reject(new AnywireError('BAD_REQUEST', `invalid channel name "${channel}"`));
    }
    const bytes = asBytes(data);
    let text: string | undefined;
    if (!bytes) {
      try {
        text = JSON.stringify(data);
      } catch (cause) {
        return Promise.reject(new AnywireError('BAD_REQUEST', 'data is not JSON-serialisable', { cause }));
      }
      if (text === undefined) return Promise.reject(new AnywireError('BAD_REQUEST', 'data is not a JSON value'));
    }
    // Counting UTF-8 bytes is needed only when the text could exceed the limit: at most 3 per char.
    const max = this.#link?.welcome.max ?? Infinity;
    const size = bytes ? bytes.length : text!.length * 3 > max ? new TextEncoder().encode(text).length : 0;
    if (size > max) {
      return Promise.reject(new AnywireError('PAYLOAD_TOO_LARGE', `payload of ${size} bytes exceeds maxPayload ${max}`));
    }
    return this.#publisher.add(channel, data, text, bytes);
  }

  /**
   * A page of a channel's history, newest last (needs `subscribe` permission). Waits for a link
   * while disconnected; rejects with TIMEOUT after `publishTimeout`.
   */
  history<T = unknown>(channel: string, options?: HistoryOptions): Promise<HistoryPage<T>> {
    if (this.#closedByUser) return Promise.reject(new AnywireError('CLOSED', 'client closed'));
    return requestHistory<T>(this.#publisher, channel, options);
  }

  // ---- state ---------------------------------------------------------------------------------

  #setState(next: ClientState, reason?: string): void {
    const previous = this.#_state;
    if (previous === next) return;
    // Every transition made is one of state.ts's `transitions` (state.test.ts, reconnect.test.ts).
    this.#_state = next;
    this.emit('state', { state: next, previous, reason });
  }

  #setTransport(next: TransportName | null): void {
    const previous = this.#_transport;
    if (previous === next) return;
    this.#_transport = next;
    this.emit('transport', { transport: next, previous });
  }

  // ---- application code ----------------------------------------------------------------------

  readonly #reporter = (cause: unknown, where: string): void => this.#report(cause, where);

  protected override fault(cause: unknown, event: string): void {
    // A throwing `error` listener is not reported to the `error` listeners again.
    if (event === 'error') this.#platform(cause, false);
    else this.#report(cause, `a "${event}" listener`);
  }

  /**
   * A listener or handler of the app threw: anywire's own work is already done (or goes on), and the
   * throw is reported as an `error` event (LISTENER_ERROR, the throw as `cause`) and to the platform.
   */
  #report(cause: unknown, where: string): void {
    const heard = this.emit('error', new AnywireError('LISTENER_ERROR', `${where} threw: ${errorMessage(cause)}`, { cause }));
    this.#platform(cause, heard);
  }

  /**
   * The platform's report: `reportError` where there is one (browsers: the page's `error` event and
   * the console, as for any event listener); elsewhere (Node) an asynchronous rethrow, an uncaught
   * exception, unless an `error` listener heard it (as Node's own emitters do).
   */
  #platform(cause: unknown, heard: boolean): void {
    const reportError = this.#env.runtime.reportError;
    if (reportError) reportError(cause);
    else if (!heard) {
      queueMicrotask(() => {
        throw cause;
      });
    }
  }

  // ---- connecting ----------------------------------------------------------------------------

  #runPass(): Promise<void> {
    const abort = new AbortController();
    this.#passAbort = abort;
    const pass = this.#walkLadder(abort.signal).then(
      (link) => {
        this.#pass = null;
        this.#adopt(link);
      },
      (err: AnywireError) => {
        this.#pass = null;
        if (abort.signal.aborted || this.#closedByUser) throw err;
        this.emit('error', err);
        // An `error` listener may have closed the client or started a new pass.
        if (this.#closedByUser || this.#pass) throw err;
        if (err.code === 'UNAUTHORIZED' && typeof this.#opts.token !== 'function') {
          this.#setState('disconnected', err.message);
        } else {
          this.#scheduleReconnect(err.message, err.retryAfter);
        }
        throw err;
      },
    );
    this.#pass = pass;
    return pass;
  }

  async #resolveToken(): Promise<string | undefined> {
    const t = this.#opts.token;
    try {
      return typeof t === 'function' ? await t() : t;
    } catch (cause) {
      throw new AnywireError('UNAUTHORIZED', 'the token function failed', { cause });
    }
  }

  /** One pass over `rungs` (default: the ladder from the rung that last worked); collects every failure. */
  async #walkLadder(signal: AbortSignal, rungs?: readonly TransportName[]): Promise<Link> {
    const token = await this.#resolveToken();
    const ladder = this.#opts.transports;
    const failures: TransportFailure[] = [];
    for (const transport of rungs ?? [...ladder.slice(this.#preferred), ...ladder.slice(0, this.#preferred)]) {
      if (signal.aborted) throw new AnywireError('CLOSED', 'client closed');
      try {
        return await this.#openRung(transport, token, signal);
      } catch (err) {
        const error = err as AnywireError;
        if (error.code === 'UNAUTHORIZED' || error.code === 'CLOSED') throw error;
        failures.push({ transport, error });
      }
    }
    const list = failures.map((f) => `${f.transport}: ${f.error.message}`).join('; ');
    throw new AnywireError('TRANSPORTS_EXHAUSTED', `every transport failed (${list})`, { failures });
  }

  /** Opens one transport and completes the handshake within connectTimeout. */
  #openRung(name: TransportName, token: string | undefined, signal: AbortSignal): Promise<Link> {
    const factory = this.#env.factories[name];
    if (!factory) return Promise.reject(new AnywireError('PROTOCOL_ERROR', 'not included in this build'));
    const transport = factory.create({
      url: this.#opts.url,
      runtime: this.#env.runtime,
      token,
      pollInterval: this.#opts.pollInterval,
      positions: () => this.#channels.positions(),
    });
    return openLink(transport, ++this.#gen, token, this.#opts.connectTimeout, signal, {
      frames: (link, frames) => {
        // Frames that arrive before the link is adopted wait on it (a probe's, or a batch's tail).
        if (this.#link !== link) link.early.push(...frames);
        else this.#onFrames(link.gen, frames);
      },
      close: (link, info) => this.#onLinkClose(link.gen, info),
    });
  }

  /**
   * Makes a handshaken link the current one: resubscribe from offsets, resend publishes. The same
   * path serves a first connect, a reconnect and a move up the ladder: the new link replays from
   * the offsets already delivered, so closing the old one at once loses nothing, and anything seen
   * twice is dropped by offset.
   */
  #adopt(link: Link): void {
    if (this.#closedByUser) {
      link.transport.close();
      return;
    }
    this.#dropLink(false);
    this.#link = link;
    const early = link.early;
    link.early = [];
    this.#attempt = 0;
    this.#preferred = this.#opts.transports.indexOf(link.transport.name);
    const frames: ClientFrame[] = [...this.#channels.resubscribe(), ...this.#publisher.frames()];
    if (frames.length) link.transport.send(frames);
    this.#startHeartbeat(link);
    this.#scheduleProbe();
    this.#refresh(link);
    // The app hears of it once the link is fully set up: a listener that throws, closes or
    // unsubscribes finds a consistent client.
    this.#setState('connected');
    if (this.#link === link) this.#setTransport(link.transport.name);
    if (this.#link === link && early.length) this.#onFrames(link.gen, early);
  }

  /** On a lower rung, try the higher ones now and then: never stay down for good. */
  #scheduleProbe(): void {
    clearTimeout(this.#probeTimer);
    if (!this.#link || this.#preferred <= 0 || this.#closedByUser) return;
    this.#probeTimer = setTimeout(() => void this.#probe(), this.#opts.upgradeInterval);
  }

  /** Tries the rungs above the current one; adopts the first that opens, else waits for the next probe. */
  async #probe(): Promise<void> {
    const current = this.#link;
    const abort = new AbortController();
    this.#probeAbort = abort;
    try {
      const link = await this.#walkLadder(abort.signal, this.#opts.transports.slice(0, this.#preferred));
      if (this.#link !== current || this.#closedByUser) return link.transport.close();
      this.#probeAbort = null;
      this.#adopt(link);
    } catch {
      // Still down (or the link changed, which aborts the probe): wait for the next one.
      if (this.#link === current) this.#scheduleProbe();
    }
  }

  #dropLink(clearTransport = true): void {
    clearTimeout(this.#probeTimer);
    this.#probeAbort?.abort();
    this.#probeAbort = null;
    clearTimeout(this.#healthTimer);
    this.#healthTimer = undefined;
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#refreshTimer);
    this.#heartbeatTimer = undefined;
    if (this.#link) {
      this.#link.transport.close();
      this.#link = null;
    }
    if (clearTransport) this.#setTransport(null);
  }

  #onLinkClose(gen: number, info: CloseInfo): void {
    if (this.#link?.gen !== gen) return;
    this.#dropLink();
    this.#channels.suspend();
    if (this.#closedByUser) return;
    const hint = info.retryAfter ?? this.#retryHint;
    this.#retryHint = undefined;
    // An expired or unknown HTTP session, or an expired token, is not an outage: reconnect at once.
    this.#scheduleReconnect(info.reason, hint, info.code === 'SESSION_INVALID' || info.code === 'TOKEN_EXPIRED');
  }

  #scheduleReconnect(reason: string, retryAfter?: number, immediate = false): void {
    const policy = this.#opts.reconnect;
    if (!policy) return this.#setState('disconnected', reason);
    if (this.#attempt >= policy.maxAttempts) {
      return this.#setState('disconnected', `gave up after ${this.#attempt} attempts: ${reason}`);
    }
    const delay = immediate && this.#attempt === 0 ? 0 : Math.max(retryAfter ?? 0, backoffDelay(policy, this.#attempt));
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#pass && !this.#closedByUser) this.#runPass().catch(() => {});
    }, delay);
    // After the timer: a `state` listener that calls close() clears it.
    this.#setState('reconnecting', reason);
  }

  /** While waiting to reconnect: try at once (the network is back, the page is visible again). */
  #retryNow(): void {
    if (this.#_state !== 'reconnecting' || this.#pass || this.#closedByUser) return;
    clearTimeout(this.#retryTimer);
    this.#runPass().catch(() => {});
  }

  /** Pings the server; a link that stays silent for a few seconds is treated as dead. */
  #checkHealth(): void {
    const link = this.#link;
    if (!link || this.#healthTimer) return;
    const seen = link.received;
    link.transport.send([{ t: 'ping' }]);
    this.#healthTimer = setTimeout(
      () => {
        this.#healthTimer = undefined;
        if (this.#link !== link || link.received !== seen) return;
        link.transport.close();
        this.#onLinkClose(link.gen, { reason: 'health check: no answer to ping' });
      },
      Math.min(5000, link.welcome.hb),
    );
  }

  /**
   * The watchdog, sized per transport: silence for two heartbeat intervals means the link is dead,
   * whatever the socket says. Short polling hears the server only when it asks, once every
   * `pollInterval`, so its allowance adds one `pollInterval`.
   */
  #startHeartbeat(link: Link): void {
    const hb = link.welcome.hb;
    const limit = 2 * hb + 1000 + (link.transport.name === 'polling' ? this.#opts.pollInterval : 0);
    this.#heartbeatTimer = setInterval(
      () => {
        if (Date.now() - link.lastSeen > limit) {
          link.transport.close();
          this.#onLinkClose(link.gen, { reason: `no heartbeat for ${limit} ms` });
        }
      },
      Math.max(250, Math.floor(hb / 2)),
    );
  }

  // ---- inbound frames ------------------------------------------------------------------------

  #onFrames(gen: number, frames: ServerFrame[]): void {
    const link = this.#link;
    if (!link || link.gen !== gen) return;
    link.lastSeen = Date.now();
    link.received++;
    for (const f of frames) {
      // A handler or listener may have closed the client: the rest of the batch is not for it.
      if (this.#link !== link) return;
      switch (f.t) {
        case 'msg':
          this.#channels.deliver(f);
          break;
        case 'subd':
          this.#channels.confirmed(f);
          break;
        case 'ack':
        case 'histd':
        case 'presd':
          this.#publisher.settle(f);
          break;
        case 'err':
          this.#serverError(f);
          break;
        case 'ping':
          link.transport.send([{ t: 'pong' }]);
          break;
        case 'authd':
          if (f.code) this.emit('error', new AnywireError(f.code as Code, f.msg!));
          else link.welcome.exp = f.exp;
          this.#refresh(link, !!f.code);
          break;
        default:
          break;
      }
    }
  }

  /** Schedules the in-band token refresh of `link` ahead of its `exp` (token-refresh.ts). */
  #refresh(link: Link, retry?: boolean): void {
    clearTimeout(this.#refreshTimer);
    if (typeof this.#opts.token !== 'function') return;
    this.#refreshTimer = refreshTimer(
      link.welcome.exp,
      () =>
        this.#resolveToken().then(
          (token) => this.#link === link && link.transport.send([{ t: 'auth', token: token! }]),
          (err: AnywireError) => {
            this.emit('error', err);
            if (this.#link === link) this.#refresh(link, true);
          },
        ),
      retry,
    );
  }

  #serverError(f: ErrorFrame): void {
    if (this.#publisher.settle(f)) return;
    if (typeof f.id === 'number') return this.#channels.refused(f as ErrorFrame & { id: number });
    if (f.code === 'SERVER_SHUTTING_DOWN') this.#retryHint = f.retry;
    this.emit('error', new AnywireError(f.code as Code, f.msg, { retryAfter: f.retry }));
  }
}

/** Creates a client; the entry points (browser, Node) supply the environment. */
export function createCoreClient(options: ClientOptions, env: ClientEnvironment): Client {
  return new AnywireClient(options, env);
}
