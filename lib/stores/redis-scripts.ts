import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * The sliding-window check-and-add, atomic in Redis. Time comes from the Redis server (TIME), so
 * processes on machines with skewed clocks still share one window.
 * KEYS[1] the window; ARGV limit, window in ms, a unique member suffix. Returns {allowed, count, resetMs}.
 */
export const SLIDING_WINDOW_HIT = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  count = count + 1
  allowed = 1
end
local reset = 0
if count > 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  reset = tonumber(oldest[2]) + window - now
end
return {allowed, count, reset}
`);

/**
 * Sets and removes fields of a hash and renews its TTL in one step; deletes the hash when it ends
 * up empty. KEYS[1] the hash; ARGV ttl seconds, number of pairs to set, the pairs, then the fields to remove.
 */
export const PATCH_RECORD = script(`
local ttl = tonumber(ARGV[1])
local pairs = tonumber(ARGV[2])
local i = 3
for _ = 1, pairs do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
  i = i + 1
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1
`);
