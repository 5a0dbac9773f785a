// Where presence lives: every connection of every member of a channel, each with an expiry that
// the server holding it keeps pushing forward. The store decides joins and leaves atomically, so
// however many servers touch or sweep one channel at once, each join and each leave is decided
// once. The memory store serves one process; the Redis store (presence-redis.ts) many.

/** One presence connection: a member's client (its presence id) on a channel. */
export interface PresenceConn {
  /** `<member id>\n<presence id>`. */
  key: string;
  member: string;
  /** The member's JSON `{ id, identity?, data? }` as shown in lists and events. */
  info: string;
}

/** A member that joined (its first connection) or left (its last one expired). */
export interface PresenceChange {
  member: string;
  info: string;
}

export interface StoredMember {
  member: string;
  info: string;
  connections: number;
}

export interface PresenceStore {
  /**
   * Adds or refreshes connections so that they expire `ttl` ms from now (the store's clock);
   * resolves with the members that had no connection before (joins).
   */
  touch(channel: string, conns: readonly PresenceConn[], ttl: number): Promise<PresenceChange[]>;
  /** Removes the channel's expired connections (at most `max`); resolves with the members left with none (leaves). */
  expire(channel: string, max: number): Promise<PresenceChange[]>;
  /** At most `limit` members with their connection counts, and how many there are in all. */
  list(channel: string, limit: number): Promise<{ members: StoredMember[]; total: number }>;
}

interface MemoryChannel {
  /** Connection key → its member and expiry (ms). */
  conns: Map<string, { member: string; expires: number }>;
  /** Member → its info and connection count. */
  members: Map<string, { info: string; connections: number }>;
}

/** The single-process store: plain maps, forgotten when a channel has no connection left. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly channels = new Map<string, MemoryChannel>();

  async touch(channel: string, conns: readonly PresenceConn[], ttl: number): Promise<PresenceChange[]> {
    let c = this.channels.get(channel);
    if (!c) this.channels.set(channel, (c = { conns: new Map(), members: new Map() }));
    const expires = Date.now() + ttl;
    const joins: PresenceChange[] = [];
    for (const conn of conns) {
      const known = c.conns.get(conn.key);
      let m = c.members.get(conn.member);
      if (known) {
        known.expires = expires;
        if (m) m.info = conn.info;
        continue;
      }
      c.conns.set(conn.key, { member: conn.member, expires });
      if (!m) {
        c.members.set(conn.member, (m = { info: conn.info, connections: 0 }));
        joins.push({ member: conn.member, info: conn.info });
      }
      m.info = conn.info;
      m.connections++;
    }
    return joins;
  }

  async expire(channel: string, max: number): Promise<PresenceChange[]> {
    const c = this.channels.get(channel);
    if (!c) return [];
    const now = Date.now();
    const leaves: PresenceChange[] = [];
    let n = 0;
    for (const [key, conn] of c.conns) {
      if (conn.expires > now) continue;
      if (++n > max) break;
      c.conns.delete(key);
      const m = c.members.get(conn.member);
      if (m && --m.connections <= 0) {
        c.members.delete(conn.member);
        leaves.push({ member: conn.member, info: m.info });
      }
    }
    if (c.conns.size === 0) this.channels.delete(channel);
    return leaves;
  }

  async list(channel: string, limit: number): Promise<{ members: StoredMember[]; total: number }> {
    const c = this.channels.get(channel);
    if (!c) return { members: [], total: 0 };
    const members: StoredMember[] = [];
    for (const [member, m] of c.members) {
      if (members.length >= limit) break;
      members.push({ member, info: m.info, connections: m.connections });
    }
    return { members, total: c.members.size };
  }
}
