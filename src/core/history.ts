// `client.history()`: a page of a channel's history, read backwards by offset. The server checks
// the channel, `limit` and `before` (BAD_REQUEST) and the permission (FORBIDDEN).
import type { HistoryAnswerFrame } from './frames.js';
import type { Publisher } from './publisher.js';

export interface HistoryOptions {
  /** At most this many messages, newest last. Default: 100; capped at 1000. */
  limit?: number;
  /** Only messages with an offset below this one: pass the oldest offset of the previous page to page back. Default: none (the newest). */
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

export async function requestHistory<T>(
  publisher: Publisher,
  channel: string,
  { limit = 100, before }: HistoryOptions = {},
): Promise<HistoryPage<T>> {
  const a = await publisher.ask<HistoryAnswerFrame>({ t: 'hist', ch: channel, n: limit > 1000 ? 1000 : limit, b: before });
  return {
    // Binary data travels as base64 (atob: no base64 decoder of ours in a WebSocket-only bundle).
    messages: a.m.map((m) => ({ data: (m.b !== undefined ? Uint8Array.from(atob(m.b), (c) => c.charCodeAt(0)) : m.d) as T, offset: m.o })),
    epoch: a.e,
    latest: a.o,
  };
}
