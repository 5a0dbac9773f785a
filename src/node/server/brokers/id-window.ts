// The memory broker's de-duplication window: which publish ids it stored lately, and at which
// offset, so that a publish retried after a lost ack is stored once. Ids are scoped by publisher
// (the session or identity): one publisher reusing another's id is a different publish.

/** One generation of ids: per channel the epoch they were stored in and id → offset, and a filter. */
class Generation {
  readonly channels = new Map<string, { epoch: string; ids: Map<string, number> }>();
  /**
   * One bit per hash of an id stored here. Nearly every publish carries a new id, and in maps of
   * 50,000 ids each miss is a couple of cache misses; a clear bit answers "not here" with one read.
   * A set bit may be another id's (a few percent): then the map decides.
   */
  readonly filter: Int32Array;
  size = 0;

  constructor(bits: number) {
    this.filter = new Int32Array(bits >>> 5);
  }

  lookup(channel: string, epoch: string, id: string, bit: number): number | undefined {
    if ((this.filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return undefined;
    const entry = this.channels.get(channel);
    return entry !== undefined && entry.epoch === epoch ? entry.ids.get(id) : undefined;
  }

  add(channel: string, epoch: string, id: string, offset: number, bit: number): void {
    let entry = this.channels.get(channel);
    // A channel forgotten and created again has a new epoch: the ids of the old one mean nothing.
    if (entry === undefined || entry.epoch !== epoch) this.channels.set(channel, (entry = { epoch, ids: new Map() }));
    entry.ids.set(id, offset);
    this.filter[bit >>> 5]! |= 1 << (bit & 31);
    this.size++;
  }

  clear(): void {
    this.channels.clear();
    this.filter.fill(0);
    this.size = 0;
  }
}

/**
 * Ids in two generations: a lookup checks both, and when the newer one holds half the window or is
 * older than the ttl, the older is dropped whole and the newer takes its place. O(1) per publish,
 * no object or timer per id; ids map to their offset, a small integer for the garbage collector.
 */
export class IdWindow {
  private current: Generation;
  private previous: Generation;
  private since = Date.now();
  /** Set by every remember(): the history ttl, at least 60 s. */
  private ttl = 60_000;
  private readonly mask: number;
  /** The last id hashed and its bit: a publish looks its id up, then remembers it. */
  private lastId = '';
  private lastBit = 0;

  /** `max`: ids remembered at most; the newest `max / 2` always are (while younger than the ttl). */
  constructor(private readonly max: number) {
    // ~16 bits per id of a generation: a few percent of new ids pass the filter.
    let bits = 1024;
    while (bits < max * 8 && bits < 1 << 21) bits *= 2;
    this.mask = bits - 1;
    this.current = new Generation(bits);
    this.previous = new Generation(bits);
  }

  /** The offset `publisher`'s `id` was stored at on `channel` in `epoch`, if it is remembered. */
  lookup(channel: string, epoch: string, publisher: string, id: string): number | undefined {
    const key = scoped(publisher, id);
    const bit = this.bit(key);
    return this.current.lookup(channel, epoch, key, bit) ?? this.previous.lookup(channel, epoch, key, bit);
  }

  remember(channel: string, epoch: string, publisher: string, id: string, offset: number, ttl: number, now: number): void {
    this.ttl = Math.max(ttl, 60_000);
    if (this.current.size >= this.max / 2 || now - this.since > this.ttl) this.rotate(now);
    const key = scoped(publisher, id);
    this.current.add(channel, epoch, key, offset, this.bit(key));
  }

  private bit(id: string): number {
    if (id !== this.lastId) {
      this.lastId = id;
      this.lastBit = hash(id) & this.mask;
    }
    return this.lastBit;
  }

  /** Without publishes nothing rotates on publish: the broker's sweep ages the ids out here. */
  age(now: number): void {
    if (now - this.since > this.ttl && this.current.size + this.previous.size > 0) this.rotate(now);
  }

  private rotate(now: number): void {
    const dropped = this.previous;
    this.previous = this.current;
    dropped.clear();
    this.current = dropped;
    this.since = now;
  }
}

/** One publisher's id, unambiguous whatever characters either holds. */
const scoped = (publisher: string, id: string): string => (publisher === '' ? id : `${publisher.length}:${publisher}:${id}`);

/** FNV-1a over the UTF-16 code units: cheap, and spread enough for a filter. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
