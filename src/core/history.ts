// `client.history()`: a page of a channel's history, read backwards by offset.
import { fromBase64 } from './base64.js';
import { AnywireError } from './errors.js';
import { isChannel, MAX_HISTORY_LIMIT, type HistoryAnswerFrame } from './frames.js';
import type { Requests } from './requests.js';

export interface HistoryOptions {
  /** At most this many messages, newest last. Default: 100; the server caps it at 1000. */
  limit?: number;
  /** Only messages with an offset below this one: pass the oldest offset of the previous page to page back. */
  before?: number | undefined;
}

/** A page of history. */
export interface HistoryPage<T = unknown> {
  /** Newest last. Binary data arrives as a Uint8Array. */
  messages: Array<{ data: T; offset: number }>;
  /** The channel's epoch: offsets compare only within one. */
  epoch: string;
  /** The channel's latest offset (0 when nothing was published in this epoch). */
  latest: number;
}

export async function requestHistory<T>(requests: Requests, channel: string, options: HistoryOptions = {}): Promise<HistoryPage<T>> {
  if (!isChannel(channel)) throw new AnywireError('BAD_REQUEST', `invalid channel name "${channel}"`);
  const { limit = 100, before } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new AnywireError('BAD_REQUEST', 'limit must be a positive integer');
  if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) {
    throw new AnywireError('BAD_REQUEST', 'before must be a positive integer (an offset)');
  }
  const frame: { t: 'hist'; ch: string; n: number; b?: number } = { t: 'hist', ch: channel, n: Math.min(limit, MAX_HISTORY_LIMIT) };
  if (before !== undefined) frame.b = before;
  const answer = await requests.add<HistoryAnswerFrame>(frame);
  return {
    messages: answer.m.map((m) => ({ data: (m.b !== undefined ? fromBase64(m.b) : m.d) as T, offset: m.o })),
    epoch: answer.e,
    latest: answer.o,
  };
}
