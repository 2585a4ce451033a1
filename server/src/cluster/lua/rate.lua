-- ARGV: P, key name, now_ms, window_ms, calls. Sliding window; returns 1 (counted) or 0 (full).
local key, now, win = P .. ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
if redis.call('ZCARD', key) >= tonumber(ARGV[5]) then return 0 end
redis.call('ZADD', key, now, now .. ':' .. redis.call('INCR', P .. 'seq'))
redis.call('PEXPIRE', key, win)
return 1
