// History pages (`server.history()`, the `hist` frame) and rewind, read backwards from the broker's
// history. Presence events share a channel's history (see presence.ts); they are never part of a
// page or a rewind, which return the channel's messages only.
import { AnywireError } from '../../core/errors.js';
import { CHANNEL_PATTERN, MAX_HISTORY_LIMIT, type HistoryFrame } from '../../core/frames.js';
import { toBase64 } from '../../core/base64.js';
import type { Broker, BrokerMessage, HistoryPage } from './brokers/types.js';
import { isPresenceEvent } from './presence-event.js';

/** `limit` when none is given. */
export const DEFAULT_HISTORY_LIMIT = 100;

export interface HistoryQuery {
  /** At most this many messages, newest last. Default: 100; capped at 1000. */
  limit?: number | undefined;
  /** Only messages with an offset below this one (the `offset` of the oldest message of the previous page). */
  before?: number | undefined;
}

export interface HistoryMessage {
  data: unknown;
  offset: number;
}

/** `server.history()` and `client.history()`: a page of a channel's history. */
export interface HistoryAnswer {
  /** Newest last. */
  messages: HistoryMessage[];
  epoch: string;
  /** The channel's latest offset (0 when nothing was published in this epoch). */
  latest: number;
}

/** Pages read per request at most while skipping presence events (each page is `limit` entries). */
const maxReads = 8;

/**
 * The newest `limit` messages below `before`, presence events left out. Rejects with an
 * AnywireError (BAD_REQUEST for bad input or a broker without `readBack`, BROKER_UNAVAILABLE).
 */
export async function readPage(broker: Broker, channel: string, query: HistoryQuery = {}): Promise<HistoryPage> {
  const limit = query.limit ?? DEFAULT_HISTORY_LIMIT;
  if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel)) {
    throw new AnywireError('BAD_REQUEST', `invalid channel name "${String(channel)}"`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1) throw new AnywireError('BAD_REQUEST', 'limit must be a positive integer');
  if (query.before !== undefined && (!Number.isSafeInteger(query.before) || query.before < 1)) {
    throw new AnywireError('BAD_REQUEST', 'before must be a positive integer (an offset)');
  }
  if (!broker.readBack) throw new AnywireError('BAD_REQUEST', 'this broker cannot read history backwards');
  const want = Math.min(limit, MAX_HISTORY_LIMIT);
  let before = query.before;
  const out: BrokerMessage[] = [];
  let first: HistoryPage | undefined;
  try {
    for (let i = 0; i < maxReads && out.length < want; i++) {
      const page = await broker.readBack(channel, { before, limit: want });
      first ??= page;
      // A new epoch between two reads: what was read belongs to the old one; start over once.
      if (page.epoch !== first.epoch) return page;
      const kept = page.messages.filter((m) => !isPresenceEvent(m.payload));
      out.unshift(...kept.slice(Math.max(0, kept.length - (want - out.length))));
      if (page.messages.length < want) break; // the start of history
      before = page.messages[0]!.offset;
    }
  } catch (cause) {
    if (cause instanceof AnywireError) throw cause;
    throw new AnywireError('BROKER_UNAVAILABLE', `history read failed: ${(cause as Error).message}`, { cause });
  }
  return { epoch: first!.epoch, top: first!.top, messages: out };
}

/** The data of a stored payload as the app published it. */
function dataOf(m: BrokerMessage): unknown {
  return typeof m.payload === 'string' ? JSON.parse(m.payload) : new Uint8Array(m.payload);
}

/** `server.history()`. */
export async function history(broker: Broker, channel: string, query?: HistoryQuery): Promise<HistoryAnswer> {
  const page = await readPage(broker, channel, query);
  return { messages: page.messages.map((m) => ({ data: dataOf(m), offset: m.offset })), epoch: page.epoch, latest: page.top };
}

/** The `histd` frame answering a `hist` frame; binary data as base64 (it travels as JSON text on every transport). */
export async function historyAnswerFrame(broker: Broker, f: HistoryFrame): Promise<object> {
  const page = await readPage(broker, f.ch, { limit: f.n, before: f.b });
  const m = page.messages.map((x) =>
    typeof x.payload === 'string' ? { o: x.offset, d: JSON.parse(x.payload) } : { o: x.offset, b: toBase64(x.payload) },
  );
  return { t: 'histd', id: f.id, e: page.epoch, o: page.top, m };
}

/**
 * Rewind for a `sub` without `since`: `from`, the offset just before the n-th newest message
 * (presence events are not counted), which the subscription then resumes from like any resume.
 */
export async function rewindPage(broker: Broker, channel: string, n: number): Promise<{ epoch: string; from: number }> {
  const page = await readPage(broker, channel, { limit: n });
  return { epoch: page.epoch, from: page.messages.length ? page.messages[0]!.offset - 1 : page.top };
}
