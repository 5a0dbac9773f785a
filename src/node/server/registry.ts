// The node-local session registry: every client session this server knows, whatever its transport,
// by session id. HTTP requests find their session here between requests; a request that misses
// (another node, a restart) rebuilds it (HttpSessions.find). Bounded by `maxSessions`; an HTTP
// session nobody has heard from for its idle time is expired by the core's sweep.

/** What the registry needs of a session (Session, or a fake in tests). */
export interface Registered {
  readonly id: string;
  /** Last time anything arrived from the client. */
  lastSeen: number;
  /** True when the session may expire for silence (an HTTP session with no poll or stream attached here). */
  readonly expirable: boolean;
}

export class SessionRegistry<S extends Registered> {
  private readonly sessions = new Map<string, S>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.sessions.size;
  }

  get full(): boolean {
    return this.sessions.size >= this.max;
  }

  get(id: string): S | undefined {
    return this.sessions.get(id);
  }

  /** Adds a session; false (nothing added) when the registry is full or the id is taken. */
  add(session: S): boolean {
    if (this.sessions.size >= this.max || this.sessions.has(session.id)) return false;
    this.sessions.set(session.id, session);
    return true;
  }

  /**
   * The session of `id`, or one built by `build` when there is none (a miss: `rebuilt` is true).
   * Undefined when a session would have to be built and the registry is full.
   */
  obtain(id: string, build: () => S): { session: S; rebuilt: boolean } | undefined {
    const found = this.sessions.get(id);
    if (found) return { session: found, rebuilt: false };
    if (this.sessions.size >= this.max) return undefined;
    const session = build();
    this.sessions.set(id, session);
    return { session, rebuilt: true };
  }

  /** Removes `session` (only that object: a newer session of the same id stays). */
  delete(session: S): boolean {
    if (this.sessions.get(session.id) !== session) return false;
    this.sessions.delete(session.id);
    return true;
  }

  /** The expirable sessions last heard before `cutoff` (ms since the epoch), removed from the registry. */
  expire(cutoff: number): S[] {
    const out: S[] = [];
    for (const s of this.sessions.values()) {
      if (s.expirable && s.lastSeen < cutoff) out.push(s);
    }
    for (const s of out) this.sessions.delete(s.id);
    return out;
  }

  values(): IterableIterator<S> {
    return this.sessions.values();
  }
}
