// A global byte budget for the memory broker's history. Each channel's history is bounded by
// `history.size` and `ttl`, but channels are not: without this, one client publishing large
// messages to many new channels could make the process hold gigabytes. When the total passes the
// budget, the history of the channel published to least recently goes first (all of it), then
// the next; a channel alone over the budget loses its own oldest messages. A subscriber that
// resumes from evicted history gets `gap` ('history-trimmed'), as after any trim.
import type { Payload } from './types.js';

/** What the budget needs of a channel: its history ring (a queue from `head`) and its bytes. */
export interface BudgetedChannel {
  ring: { bytes: number }[];
  head: number;
  /** Bytes of the entries from `head` on, kept by the budget. */
  bytes: number;
}

/** Estimated heap bytes of one stored message: the payload (UTF-16 worst case) and its objects. */
export function storedBytes(payload: Payload): number {
  return (typeof payload === 'string' ? payload.length * 2 : payload.byteLength) + 160;
}

export class HistoryBudget<C extends BudgetedChannel> {
  private total = 0;
  /** Channels holding history, least recently published first (a Map keeps insertion order). */
  private readonly order = new Map<C, true>();

  constructor(private readonly max: number) {}

  /** Bytes held now, for tests and stats. */
  get bytes(): number {
    return this.total;
  }

  /** A message was appended to `channel`; evicts older history while over the budget. */
  added(channel: C, bytes: number): void {
    channel.bytes += bytes;
    this.total += bytes;
    this.order.delete(channel);
    this.order.set(channel, true);
    if (this.total > this.max) this.evict(channel);
  }

  /** An entry left `channel`'s history (trimmed by size or ttl). */
  dropped(channel: C, bytes: number): void {
    channel.bytes -= bytes;
    this.total -= bytes;
    if (channel.ring.length === channel.head) this.forget(channel);
  }

  /** The channel is gone (or empty): no longer counted. */
  forget(channel: C): void {
    this.total -= channel.bytes;
    channel.bytes = 0;
    this.order.delete(channel);
  }

  private evict(current: C): void {
    for (const channel of this.order.keys()) {
      if (this.total <= this.max) return;
      if (channel === current) break;
      this.forget(channel);
      channel.ring = [];
      channel.head = 0;
    }
    // Only `current` is left and it alone is over: drop its oldest, keeping the newest message.
    let drop = 0;
    let freed = 0;
    const live = current.ring.length - current.head;
    while (this.total - freed > this.max && drop < live - 1) freed += current.ring[current.head + drop++]!.bytes;
    if (drop === 0) return;
    current.ring = current.ring.slice(current.head + drop);
    current.head = 0;
    current.bytes -= freed;
    this.total -= freed;
  }
}
