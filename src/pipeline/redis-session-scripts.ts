import type { Redis, Result } from 'ioredis';
import type { BeaconType } from '../sinks/sink.js';

/** How the assign script treats a beacon: 'p' pageview, 'e' event or click, 'n' error or performance (joins only). */
export type SessionKind = 'p' | 'e' | 'n';
export const SESSION_KIND: Readonly<Record<BeaconType, SessionKind>> = { pageview: 'p', event: 'e', click: 'e', error: 'n', performance: 'n' };

declare module 'ioredis' {
  interface RedisCommander<Context> {
    beaconSessionAssign(
      key: string, previousKey: string, now: number, timeoutMs: number, kind: SessionKind,
      href: string, userHash: string, candidate: string, seed: string,
    ): Result<string | null, Context>;
    beaconSessionMerge(key: string, now: number, timeoutMs: number, snapshot: string): Result<number, Context>;
  }
}

// Both scripts read the positional JSON of redis-session-codec.ts (s[1] lastSeenAt, s[2] pageviews,
// s[3] events, s[4] exitUrl, s[5] userHash, s[6] id).
// decode: anything unreadable counts as no session (it is overwritten by the visitor's next
// interaction instead of failing every beacon). newer: of two states for one key, the one to keep
// and whether it differs from `held`: the same session combined count by count with the greatest
// (like the database's GREATEST), with the exit page and visitor hash of the later beacon;
// different sessions, the one seen last (a tie keeps what Redis holds).
const LUA_COMMON = `
local function decode(raw)
  if not raw then return nil end
  local ok, s = pcall(cjson.decode, raw)
  if ok and type(s) == 'table' and type(s[1]) == 'number' and type(s[2]) == 'number'
    and type(s[3]) == 'number' and type(s[6]) == 'string' then return s end
  return nil
end
local function newer(held, incoming)
  if not incoming then return held, false end
  if not held then return incoming, true end
  if held[6] ~= incoming[6] then
    if incoming[1] > held[1] then return incoming, true end
    return held, false
  end
  local changed = false
  if incoming[1] > held[1] then held[1] = incoming[1]; held[4] = incoming[4]; held[5] = incoming[5]; changed = true end
  if incoming[2] > held[2] then held[2] = incoming[2]; changed = true end
  if incoming[3] > held[3] then held[3] = incoming[3]; changed = true end
  return held, changed
end
`;

/**
 * assign. KEYS: today's key, yesterday's key (the same key when there is none). ARGV: now,
 * timeoutMs, kind, href, userHash, candidate (the encoded session a new one would be, built in TS
 * by advanceSession: attribution stays in one place; '' for 'n'), seed (an encoded session the
 * fallback holds for this visitor, merged in first; '' for none).
 * Returns, for 'n': the active session's id or nil, writing nothing (no TTL refresh). Otherwise the
 * resulting encoded state, written to today's key with PX = lastSeenAt + timeout - now (the timeout
 * itself unless clocks disagree), after removing yesterday's key if the session came from there.
 */
const ASSIGN_LUA = `${LUA_COMMON}
local now = tonumber(ARGV[1])
local timeout = tonumber(ARGV[2])
local kind = ARGV[3]
local s = decode(redis.call('GET', KEYS[1]))
local moved = false
if not s and KEYS[2] ~= KEYS[1] then
  s = decode(redis.call('GET', KEYS[2]))
  moved = s ~= nil
end
if ARGV[7] ~= '' then s = newer(s, decode(ARGV[7])) end
local active = s ~= nil and now - s[1] < timeout
if kind == 'n' then
  if active then return s[6] end
  return false
end
local out
local last = now
if active then
  if s[1] > now then last = s[1] else s[1] = now end
  if kind == 'p' then s[2] = s[2] + 1; s[4] = ARGV[4] else s[3] = s[3] + 1 end
  s[5] = ARGV[5]
  out = cjson.encode(s)
else
  out = ARGV[6]
end
redis.call('SET', KEYS[1], out, 'PX', string.format('%d', last + timeout - now))
if moved then redis.call('DEL', KEYS[2]) end
return out
`;

/**
 * merge-if-newer (warm, write-back). KEYS: the key. ARGV: now, timeoutMs, encoded session.
 * Returns 1 when written (with PX = the time left until lastSeenAt + timeout), 0 when what Redis
 * holds is as new, or the result has already expired.
 */
const MERGE_LUA = `${LUA_COMMON}
local now = tonumber(ARGV[1])
local timeout = tonumber(ARGV[2])
local s, changed = newer(decode(redis.call('GET', KEYS[1])), decode(ARGV[3]))
if not changed then return 0 end
local ttl = s[1] + timeout - now
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], cjson.encode(s), 'PX', string.format('%d', ttl))
return 1
`;

/**
 * Adds `beaconSessionAssign` and `beaconSessionMerge` to the client: the session rule applied
 * atomically in Redis, so two instances serving one visitor keep one session with exact counts.
 * defineCommand sends EVAL on a connection's first use and EVALSHA after; a NOSCRIPT (a restarted or
 * flushed Redis) is retried with EVAL.
 */
export function defineSessionScripts(redis: Redis): void {
  redis.defineCommand('beaconSessionAssign', { numberOfKeys: 2, lua: ASSIGN_LUA });
  redis.defineCommand('beaconSessionMerge', { numberOfKeys: 1, lua: MERGE_LUA });
}
