// `authorize` answers reused across the HTTP requests of one session: an HTTP session lives one
// request at a time, and asking the application's hook on every poll would make polling as
// expensive as the hook. Bounded (least recently used out) and expiring (`authCacheTtl`).
import type { ServerCore } from './core.js';
import type { Identity } from './options.js';

interface Entry {
  answer: Promise<boolean>;
  until: number;
}

export class AuthCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly core: ServerCore,
    private readonly ttl: number,
    private readonly max = 50_000,
  ) {}

  /** Drops a session's answers (its token was refreshed: the new identity is asked again). */
  forget(sessionId: string): void {
    const prefix = sessionId + '\u0000';
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** The hook's answer for (session, channel, action), asked at most once per ttl. */
  authorize(sessionId: string, identity: Identity, channel: string, action: 'subscribe' | 'publish'): Promise<boolean> {
    const key = sessionId + '\u0000' + action[0] + channel;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) {
      // Refresh the recency: Map keeps insertion order, so the first key is the least recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.answer;
    }
    const answer = this.core.authorize(identity, channel, action);
    this.entries.set(key, { answer, until: now + this.ttl });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return answer;
  }
}
