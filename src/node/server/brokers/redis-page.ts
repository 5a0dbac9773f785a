// The Redis broker's backwards history read (XREVRANGE with COUNT), behind `history()` and
// `rewind`. Its own module so that the broker keeps one small hook for it (see redis.ts `page`).
import { decodePayload } from './redis-scripts.js';
import type { BrokerMessage, HistoryPage } from './types.js';

/**
 * The channel's epoch and top (a channel never published, or expired, is the unborn epoch at 0,
 * and nothing is written for it, as HISTORY_LUA does) and the newest `limit` entries below `before`.
 * KEYS: meta, stream. ARGV: the unborn epoch, meta ttl, before ('' for none), limit.
 * Returns [epoch, top, now ms, ttl ms, entries newest first].
 */
export const PAGE_LUA = `
local meta, stream = KEYS[1], KEYS[2]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local m = redis.call('HMGET', meta, 'e', 'o', 'ttl')
if not m[1] then return {ARGV[1], 0, now, 0, {}} end
redis.call('PEXPIRE', meta, math.max(tonumber(ARGV[2]), tonumber(m[3]) or 0))
local top = tonumber(m[2]) or 0
local hi = '+'
if ARGV[3] ~= '' then
  local before = tonumber(ARGV[3])
  if before <= 1 then return {m[1], top, now, tonumber(m[3]) or 0, {}} end
  hi = (before - 1) .. '-0'
end
return {m[1], top, now, tonumber(m[3]) or 0, redis.call('XREVRANGE', stream, hi, '-', 'COUNT', ARGV[4])}
`;

/** ARGV of PAGE_LUA. */
export function pageArgs(unborn: string, metaTtl: number, options: { before?: number | undefined; limit: number }): string[] {
  return [unborn, String(metaTtl), options.before === undefined ? '' : String(options.before), String(Math.max(1, options.limit))];
}

/** Decodes PAGE_LUA's reply (read with buffers); entries past the history ttl are left out. */
export function readPage(channel: string, reply: unknown[]): HistoryPage {
  const epoch = String(reply[0]);
  const top = Number(reply[1]);
  const cutoff = Number(reply[2]) - Number(reply[3]);
  const messages: BrokerMessage[] = [];
  for (const [id, fields] of (reply[4] ?? []) as [Buffer, Buffer[]][]) {
    let t: Buffer | undefined;
    let d: Buffer | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!.toString();
      if (name === 't') t = fields[i + 1];
      else if (name === 'd') d = fields[i + 1];
    }
    if (t !== undefined && Number(t) < cutoff) break; // older ones are older still
    messages.push({ channel, epoch, offset: parseInt(id.toString('latin1'), 10), payload: decodePayload(d ?? Buffer.from('j')) });
  }
  return { epoch, top, messages: messages.reverse() };
}
