// Presence on Redis: per channel, four keys in the channel's cluster slot, each script atomic.
// A server refreshes the expiry of the connections it holds; a server that dies stops refreshing,
// and its connections expire: the next sweep of that channel (by any server with subscribers
// there, or any read of its list) turns them into leaves. Nothing ever scans beyond one channel.
//
//   <prefix>{<channel>}:pc  sorted set: connection key → expiry (ms, Redis clock)
//   <prefix>{<channel>}:pk  hash: connection key → member id
//   <prefix>{<channel>}:pm  hash: member id → connection count
//   <prefix>{<channel>}:pi  hash: member id → its JSON { id, identity?, data? }
//
// Every key expires `keyTtl` after the channel's last touch, so an abandoned channel leaves nothing.
import type { PresenceChange, PresenceConn, PresenceStore, StoredMember } from './presence-store.js';

/** Runs a Lua script (EVALSHA, falling back to EVAL) on the broker's command connection. */
export type RunScript = (lua: string, keys: string[], args: string[]) => Promise<unknown>;

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: pc, pk, pm, pi. ARGV: ttl, key ttl, then (key, member, info) triples. Returns joins as (member, info) pairs. */
const TOUCH_LUA = `${NOW}
local exp = now + tonumber(ARGV[1])
local joins = {}
for i = 3, #ARGV, 3 do
  local key, member, info = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('ZADD', KEYS[1], exp, key) == 1 then
    redis.call('HSET', KEYS[2], key, member)
    if redis.call('HINCRBY', KEYS[3], member, 1) == 1 then
      joins[#joins + 1] = member
      joins[#joins + 1] = info
    end
  end
  redis.call('HSET', KEYS[4], member, info)
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return joins
`;

/** KEYS: pc, pk, pm, pi. ARGV: max. Returns leaves as (member, info) pairs. */
const EXPIRE_LUA = `${NOW}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local leaves = {}
for _, key in ipairs(gone) do
  redis.call('ZREM', KEYS[1], key)
  local member = redis.call('HGET', KEYS[2], key)
  redis.call('HDEL', KEYS[2], key)
  if member and redis.call('HINCRBY', KEYS[3], member, -1) <= 0 then
    redis.call('HDEL', KEYS[3], member)
    leaves[#leaves + 1] = member
    leaves[#leaves + 1] = redis.call('HGET', KEYS[4], member) or ''
    redis.call('HDEL', KEYS[4], member)
  end
end
return leaves
`;

/** KEYS: pm, pi. ARGV: limit. Returns [total, member, count, info, …]. */
const LIST_LUA = `
local limit = tonumber(ARGV[1])
local out = {redis.call('HLEN', KEYS[1])}
local cursor = '0'
repeat
  local r = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', 200)
  cursor = r[1]
  local page = r[2]
  for i = 1, #page, 2 do
    if (#out - 1) / 3 >= limit then break end
    out[#out + 1] = page[i]
    out[#out + 1] = page[i + 1]
    out[#out + 1] = redis.call('HGET', KEYS[2], page[i]) or ''
  end
until cursor == '0' or (#out - 1) / 3 >= limit
return out
`;

function pairs(reply: unknown): PresenceChange[] {
  const a = reply as string[];
  const out: PresenceChange[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push({ member: String(a[i]), info: String(a[i + 1]) });
  return out;
}

export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly prefix: string,
    private readonly run: RunScript,
    /** ms the keys of a channel outlive its last touch. */
    private readonly keyTtl: number,
  ) {}

  private keys(channel: string): string[] {
    const base = `${this.prefix}{${channel}}:`;
    return [base + 'pc', base + 'pk', base + 'pm', base + 'pi'];
  }

  async touch(channel: string, conns: readonly PresenceConn[], ttl: number): Promise<PresenceChange[]> {
    if (conns.length === 0) return [];
    const args = [String(Math.ceil(ttl)), String(Math.max(this.keyTtl, Math.ceil(ttl) * 2))];
    for (const c of conns) args.push(c.key, c.member, c.info);
    return pairs(await this.run(TOUCH_LUA, this.keys(channel), args));
  }

  async expire(channel: string, max: number): Promise<PresenceChange[]> {
    return pairs(await this.run(EXPIRE_LUA, this.keys(channel), [String(max)]));
  }

  async list(channel: string, limit: number): Promise<{ members: StoredMember[]; total: number }> {
    const k = this.keys(channel);
    const reply = (await this.run(LIST_LUA, [k[2]!, k[3]!], [String(limit)])) as unknown[];
    const members: StoredMember[] = [];
    for (let i = 1; i + 2 < reply.length; i += 3) {
      members.push({ member: String(reply[i]), connections: Number(reply[i + 1]), info: String(reply[i + 2]) });
    }
    return { members, total: Number(reply[0]) };
  }
}
