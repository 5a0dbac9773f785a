// How the server knows an HTTP client is alive. Every request of a session credits it. An SSE
// client cannot answer on its stream, so it speaks by POST (a ping each heartbeat when it has
// nothing else to send); the heartbeat wheel ends a stream that went two intervals without a
// credit (TIMEOUT), as it ends a WebSocket that stopped answering pings, and the registry's sweep
// expires a polling session that went two intervals without a request.
//
// Without sticky sessions the request may land on another server than the stream, or than the
// session's handshake. That server passes the credit on as a broker signal, never stored
// (docs/scaling.md):
//
//   client ── POST /send ──▶ server B: no stream here ──▶ pending ids ──▶ signal 'sse-alive' "id id …"
//   client ◀══ stream ═════ server A ◀── onSignal: the ids of streams it holds are credited
//
// Coalesced: a server sends at most one signal per half interval, each session id once in it,
// whatever the number of POSTs. Half, not a whole one: a credit may then wait up to half an
// interval, and with the client's rule (a ping unless it POSTed in the last half interval) a live
// client's credits stay under 1.5 intervals apart at the stream's server, clear of the 2-interval limit.
import type { Broker } from '../brokers/types.js';

const topic = 'session-alive';
/** Session ids per signal at most (a UUID is 36 characters): signals stay small. */
const perSignal = 1000;

export class SseLiveness {
  private pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  private listening = false;

  /**
   * `credit` credits the stream of a session held on this server and says whether there was one.
   * `interval` is the server's heartbeatInterval.
   */
  constructor(
    private readonly broker: Broker,
    private readonly interval: number,
    private readonly credit: (id: string) => boolean,
  ) {}

  /**
   * True when every POST can reach its stream, wherever it lands: the broker carries signals.
   * Otherwise a stream is never timed out for silence (a written heartbeat counts as alive), since
   * its client's POSTs may be landing on other servers unheard.
   */
  get enforced(): boolean {
    return this.broker.signal !== undefined && this.broker.onSignal !== undefined;
  }

  /** Starts taking credits from other servers; called when this server opens its first stream. */
  listen(): void {
    if (this.listening || !this.enforced) return;
    this.listening = true;
    this.broker.onSignal!(topic, (data) => {
      for (const id of data.split(' ')) this.credit(id);
    }).catch(() => {
      this.listening = false; // the broker is down: the next stream asks again
    });
  }

  /**
   * A request of session `id` arrived here (and credited its copy here). With `tell`, this node's
   * copy is not the one of the handshake (or there is none): the other nodes are told.
   */
  heard(id: string, tell = false): void {
    if ((this.credit(id) && !tell) || !this.enforced) return;
    this.pending.add(id);
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.interval / 2 - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private flush(): void {
    this.timer = undefined;
    this.lastFlush = Date.now();
    const ids = [...this.pending];
    this.pending.clear();
    for (let i = 0; i < ids.length; i += perSignal) this.broker.signal!(topic, ids.slice(i, i + perSignal).join(' '));
  }
}
