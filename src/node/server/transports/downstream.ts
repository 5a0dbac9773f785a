// The downstream of an HTTP session: what the server has for the client, and where it goes. It is
// the session's Sink for its whole life; requests come and go beside it. Between two polls the
// frames wait in its queue (bounded by maxBufferedBytes); a held long poll, a short poll or an SSE
// stream attaches to it and takes them. A frame that left in an answer is recorded on its
// subscription (`answered`, `subdSent`), so that the next request's cursor tells whether that
// answer reached the client (Session.reconcile).
import type { ServerResponse } from 'node:http';
import type { Outgoing, Sink } from '../outgoing.js';
import type { ChannelSub, Session } from '../session.js';

interface Item {
  text: string;
  /** The channel it concerns (msg, subd, a sub's err), for drop(). */
  ch: string | undefined;
  sub: ChannelSub | undefined;
  /** The offset it moves its subscription to (a msg's, or a subd's position); -1 for others. */
  o: number;
  subd: boolean;
}

/** A held poll: called once with the JSON batch to answer. */
export type Answer = (body: string) => void;

export class HttpDownstream implements Sink {
  session: Session | undefined;
  private queue: Item[] = [];
  private bytes = 0;
  private poll: Answer | undefined;
  private pollScheduled = false;
  private stream: ServerResponse | undefined;
  /** Events written to the current stream; the event id is this counter. */
  private seq = 0;
  private streamScheduled = false;
  private refillQueued = false;
  /** Some subscription was refused for lack of room since the last refill. */
  private refused = false;
  private readonly onDrain = () => this.refill();
  /** The session is over (closed by the server or the client); nothing more is taken. */
  ended = false;
  /** Set when the server ended the session: the code it gave. */
  endedWith: string | undefined;
  /** When the session id expires (ms since the epoch): a stream ends then, as any request would. */
  expires = Infinity;
  /** A written heartbeat counts as the client's sign of life (SSE without broker signals). */
  selfCredit = false;

  constructor(private readonly maxBuffered: number) {}

  /** A poll or a stream is attached: this node holds the session's downstream. */
  get attached(): boolean {
    return this.poll !== undefined || this.stream !== undefined;
  }

  get streaming(): boolean {
    return this.stream !== undefined;
  }

  isStream(res: ServerResponse): boolean {
    return this.stream === res;
  }

  get queued(): number {
    return this.queue.length;
  }

  frame(frame: object, sub?: ChannelSub): void {
    const f = frame as { t?: string; ch?: string; o?: number };
    const subd = f.t === 'subd';
    this.push({ text: JSON.stringify(frame), ch: f.ch, sub: subd ? sub : undefined, o: subd ? f.o! : -1, subd });
  }

  message(m: Outgoing, sub?: ChannelSub): void {
    this.push({ text: m.text, ch: m.channel, sub, o: m.offset, subd: false });
  }

  /** A comment on a stream: keeps proxies from timing it out and the client's watchdog fed. */
  heartbeat(): void {
    const res = this.stream;
    if (!res || this.ended) return;
    if (Date.now() >= this.expires) return this.close('SESSION_INVALID', 'the session expired: connect again');
    res.write(':\n\n');
    if (this.selfCredit && this.session && res.writableLength <= this.maxBuffered) this.session.lastSeen = Date.now();
  }

  close(code: string, message: string, retryAfter?: number): void {
    if (this.ended) return;
    const frame: Record<string, unknown> = { t: 'err', code, msg: message };
    if (retryAfter !== undefined) frame.retry = retryAfter;
    this.queue.push({ text: JSON.stringify(frame), ch: undefined, sub: undefined, o: -1, subd: false });
    this.ended = true;
    this.endedWith = code;
    const res = this.stream;
    if (res) {
      this.stream = undefined;
      res.end(this.event());
      // A silent client may not be reading at all: free the socket now, not when its buffer drains.
      if (code === 'TIMEOUT') res.destroy();
    } else if (this.poll) {
      this.answer();
    }
  }

  drop(channel: string, upTo = Infinity): void {
    if (this.queue.length === 0) return;
    this.queue = this.queue.filter((i) => {
      // With `upTo`: its subd and its messages up to that offset go; its errors stay.
      if (i.ch !== channel || (upTo !== Infinity && !i.subd && (!i.sub || i.o > upTo))) return true;
      this.bytes -= i.text.length;
      return false;
    });
  }

  /** Attaches a poll. Answers at once when something waits (or `now`: a short poll); else holds it. */
  attachPoll(answer: Answer, now: boolean): void {
    this.poll?.('[]'); // an older poll of the session gives way, taking nothing
    this.poll = answer;
    if (now || this.queue.length > 0 || this.ended) this.answer();
  }

  /** The held poll ends (its timeout, or its client went away) without an answer taken from the queue. */
  detachPoll(answer: Answer, reply: boolean): void {
    if (this.poll !== answer) return;
    this.poll = undefined;
    if (reply) answer(this.queue.length > 0 ? this.take() : '[]');
  }

  /** Attaches an SSE stream (the response, its headers sent); what waits is written as its first event. */
  attachStream(res: ServerResponse): void {
    this.dropStream();
    this.stream = res;
    res.on('drain', this.onDrain);
    this.seq = 0;
    this.flushStream(true);
  }

  /** The stream went away (or was replaced): frames queue again until the next one. */
  detachStream(res: ServerResponse): void {
    if (this.stream === res) this.stream = undefined;
  }

  /** Lets go of the poll (answered `[]`) and the stream (ended): the session is over. */
  detachAll(): void {
    const poll = this.poll;
    this.poll = undefined;
    poll?.('[]');
    this.dropStream();
  }

  /** Ends the current stream without a word (a newer stream of the session replaced it). */
  dropStream(): void {
    const res = this.stream;
    if (!res) return;
    this.stream = undefined;
    res.end();
  }

  private push(item: Item): void {
    if (this.ended) return;
    const sub = item.sub;
    if (
      sub &&
      !item.subd &&
      (this.queue.length > 0 || this.stream !== undefined) &&
      this.bytes + item.text.length + (this.stream?.writableLength ?? 0) > this.maxBuffered
    ) {
      // Full: this message (and the rest of its channel) is not taken now. The subscription stops
      // after the last one taken and continues from history once there is room: a replay or a
      // burst leaves in pages within the byte budget, never in one piece past it.
      sub.stale = true;
      sub.last = item.o - 1;
      this.refused = true;
      if (this.poll) this.answer();
      return;
    }
    this.queue.push(item);
    this.bytes += item.text.length;
    if (this.stream) {
      if (!this.streamScheduled) {
        this.streamScheduled = true;
        queueMicrotask(() => this.flushStream(false));
      }
      return;
    }
    // Everything that arrives in the same tick joins the answer.
    if (this.poll && !this.pollScheduled) {
      this.pollScheduled = true;
      setImmediate(() => {
        this.pollScheduled = false;
        if (this.poll && this.queue.length > 0) this.answer();
      });
    }
  }

  /** Answers the held poll with what waits, within the byte budget. */
  private answer(): void {
    const poll = this.poll;
    if (!poll) return;
    this.poll = undefined;
    poll(this.take());
  }

  /** Takes queued frames up to the byte budget as one JSON batch, recording what left. */
  private take(): string {
    let n = 0;
    let size = 0;
    while (n < this.queue.length && (n === 0 || size + this.queue[n]!.text.length <= this.maxBuffered))
      size += this.queue[n++]!.text.length;
    const items = n === this.queue.length ? this.queue : this.queue.slice(0, n);
    this.queue = n === this.queue.length ? [] : this.queue.slice(n);
    this.bytes -= size;
    const body = this.batch(items);
    this.refill();
    return body;
  }

  private batch(items: Item[]): string {
    let body = '[';
    for (let k = 0; k < items.length; k++) {
      const i = items[k]!;
      if (k > 0) body += ',';
      body += i.text;
      if (i.sub) {
        if (i.subd) i.sub.subdSent = true;
        if (i.o > i.sub.answered || i.subd) i.sub.answered = i.o;
      }
    }
    return body + ']';
  }

  /** Writes what waits as one event; with `always`, an empty batch if nothing does (a first event). */
  private flushStream(always: boolean): void {
    this.streamScheduled = false;
    const res = this.stream;
    if (!res || this.ended || (this.queue.length === 0 && !always)) return;
    if (res.writableLength > this.maxBuffered) {
      // A reader that does not keep up is cut off rather than growing our memory; it resumes from history.
      return this.close('SLOW_CONSUMER', `more than ${this.maxBuffered} bytes waiting`);
    }
    if (res.write(this.event() || `id: ${++this.seq}\ndata: []\n\n`)) this.refill();
  }

  private event(): string {
    if (this.queue.length === 0) return '';
    const items = this.queue;
    this.queue = [];
    this.bytes = 0;
    return `id: ${++this.seq}\ndata: ${this.batch(items)}\n\n`;
  }

  /** There is room again: what the session's subscriptions could not put here comes from history. */
  private refill(): void {
    const session = this.session;
    if (session && this.refused && !this.refillQueued) {
      this.refused = false;
      this.refillQueued = true;
      queueMicrotask(() => {
        this.refillQueued = false;
        if (!this.ended) session.refillStale();
      });
    }
  }
}
