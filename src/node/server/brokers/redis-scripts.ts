// The Redis broker's Lua scripts, key names and message codec. Each script runs atomically on the
// Redis server, so offsets, history and fan-out never disagree, whichever server publishes.
import { createHash } from 'node:crypto';
import type { Payload } from './types.js';

/**
 * Key names for one channel. The channel sits in `{braces}` so that every key of a channel, and
 * its live pub/sub channel, hashes to one Redis Cluster slot (a script may only touch keys of one
 * slot, and a sharded pub/sub channel lives on the shard that owns its slot).
 *
 * - `<prefix>{<channel>}:m` hash: `e` epoch, `o` latest offset, `ttl` the history ttl in ms, and on
 *   a cluster `r` the replication id of the primary that last wrote it. Written by publishes only;
 *   expires `metaTtl` after the last publish or history read.
 * - `<prefix>{<channel>}:s` stream: the history; entry id `<offset>-0`, fields `t` (ms, Redis
 *   clock) and `d` (type byte + payload). Capped at `size` entries; expires `ttl` after the last
 *   publish, and entries older than `ttl` are trimmed on publish.
 * - `<prefix>{<channel>}:p:<scope length>:<scope>:<publish id>` string `<offset>:<epoch>`:
 *   de-duplication of retried publishes of one publisher (the scope), for max(ttl, 60 s).
 * - `<prefix>{<channel>}:live` pub/sub channel (sharded on a cluster): live fan-out of
 *   `<offset>:<epoch>:<type><payload>`.
 */
export function channelKeys(prefix: string, channel: string) {
  const base = `${prefix}{${channel}}:`;
  return {
    meta: base + 'm',
    stream: base + 's',
    dedupe: (scope: string, id: string) => `${base}p:${scope.length}:${scope}:${id}`,
    live: base + 'live',
  };
}

/** The epoch reported for a channel with no keys (never published, or expired): nothing is written for it. */
export const UNBORN_EPOCH = '0';

/**
 * Publish: de-duplicate by publish id, take the next offset, append to the capped stream, trim by
 * age, refresh expiries and PUBLISH for live fan-out — in one atomic step.
 * KEYS: meta, stream[, dedupe]. ARGV: typed payload, candidate epoch, size, ttl, meta ttl,
 * dedupe ttl, pub/sub channel, 'PUBLISH' or 'SPUBLISH', '1' to check the replication id.
 * Returns { offset, epoch }.
 *
 * The replication check (clusters, Sentinel): a replica promoted after its primary died may lack
 * the last writes the old primary acknowledged. The channel's `r` is then the promoted replica's
 * former replication id (`master_replid2`), so the channel starts a new epoch instead of handing
 * out those offsets again (subscribers that saw them get a gap, never a different message under a
 * known offset). A slot migrated to another primary (MIGRATE copies the keys exactly) keeps its
 * epoch: `r` is then unrelated to the new primary's ids.
 */
export const PUBLISH_LUA = `
local meta, stream = KEYS[1], KEYS[2]
if KEYS[3] then
  local prior = redis.call('GET', KEYS[3])
  if prior then
    local o, e = string.match(prior, '^(%d+):(.*)$')
    return {tonumber(o), e}
  end
end
if ARGV[9] == '1' then
  local info = redis.call('INFO', 'replication')
  local rid = string.match(info, 'master_replid:(%w+)')
  local was = redis.call('HGET', meta, 'r')
  -- Written by the primary this one took over from (its former replication id): writes may be lost.
  if was and was ~= rid and was == string.match(info, 'master_replid2:(%w+)') then
    redis.call('DEL', meta)
  end
  redis.call('HSET', meta, 'r', rid)
end
if redis.call('HSETNX', meta, 'e', ARGV[2]) == 1 then
  -- A new epoch: whatever stream is left over (an evicted meta key) belongs to the old one.
  redis.call('DEL', stream)
end
local epoch = redis.call('HGET', meta, 'e')
local offset = redis.call('HINCRBY', meta, 'o', 1)
local ttl = tonumber(ARGV[4])
redis.call('HSET', meta, 'ttl', ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('XADD', stream, 'MAXLEN', ARGV[3], offset .. '-0', 't', now, 'd', ARGV[1])
-- Trim by age: usually one O(1) look at the oldest entry; a bounded batch when a backlog is old.
local cutoff = now - ttl
for _ = 1, 10 do
  local batch = redis.call('XRANGE', stream, '-', '+', 'COUNT', 100)
  local keep = nil
  for i = 1, #batch do
    if tonumber(batch[i][2][2]) >= cutoff then keep = batch[i][1] break end
  end
  if keep then
    if keep ~= batch[1][1] then redis.call('XTRIM', stream, 'MINID', keep) end
    break
  end
  local last = tonumber(string.match(batch[#batch][1], '^(%d+)'))
  redis.call('XTRIM', stream, 'MINID', (last + 1) .. '-0')
end
redis.call('PEXPIRE', stream, ttl)
redis.call('PEXPIRE', meta, ARGV[5])
redis.call(ARGV[8], ARGV[7], offset .. ':' .. epoch .. ':' .. ARGV[1])
if KEYS[3] then redis.call('SET', KEYS[3], offset .. ':' .. epoch, 'PX', ARGV[6]) end
return {offset, epoch}
`;

/**
 * History: the channel's epoch and top, and with a matching `since`, at most COUNT entries of the
 * stream after it. A channel without keys answers the unborn epoch and writes nothing. A `since`
 * at offset 0 has seen nothing, so it is served from the start of whichever epoch is current.
 * KEYS: meta, stream. ARGV: unborn epoch, meta ttl, since epoch ('' for none), since offset, count.
 * Returns [epoch, top] or [epoch, top, now ms, ttl ms, entries].
 */
export const HISTORY_LUA = `
local meta, stream = KEYS[1], KEYS[2]
local m = redis.call('HMGET', meta, 'e', 'o', 'ttl')
if not m[1] then return {ARGV[1], 0} end
redis.call('PEXPIRE', meta, math.max(tonumber(ARGV[2]), tonumber(m[3]) or 0))
local top = tonumber(m[2]) or 0
local since = tonumber(ARGV[4])
if ARGV[3] == '' or (ARGV[3] ~= m[1] and since ~= 0) then return {m[1], top} end
if since >= top then return {m[1], top} end
local entries = redis.call('XRANGE', stream, (since + 1) .. '-0', '+', 'COUNT', tonumber(ARGV[5]))
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return {m[1], top, now, tonumber(m[3]) or 0, entries}
`;

export const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

const JSON_TYPE = 0x6a; // 'j'
const BINARY_TYPE = 0x62; // 'b'
const COLON = 0x3a;

/** A payload as stored and published: one type byte, then the JSON text or the raw bytes. */
export function encodePayload(payload: Payload): Buffer {
  if (typeof payload === 'string') return Buffer.from('j' + payload);
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = BINARY_TYPE;
  out.set(payload, 1);
  return out;
}

export function decodePayload(buf: Buffer, start = 0): Payload {
  if (buf[start] === JSON_TYPE) return buf.toString('utf8', start + 1);
  if (buf[start] === BINARY_TYPE) return new Uint8Array(buf.subarray(start + 1));
  throw new Error(`unknown payload type byte ${buf[start]}`);
}

/** Decodes a live pub/sub message `<offset>:<epoch>:<type><payload>`. */
export function decodeLive(buf: Buffer): { offset: number; epoch: string; payload: Payload } {
  const a = buf.indexOf(COLON);
  const b = a < 0 ? -1 : buf.indexOf(COLON, a + 1);
  if (b < 0) throw new Error('malformed live message');
  return { offset: Number(buf.toString('latin1', 0, a)), epoch: buf.toString('utf8', a + 1, b), payload: decodePayload(buf, b + 1) };
}
