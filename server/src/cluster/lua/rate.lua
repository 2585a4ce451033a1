-- ARGV: P, key name, window_ms, calls. Sliding window on Redis's clock (the same for every node);
-- returns 1 (counted) or 0 (full).
local key, now, win = P .. ARGV[2], now_ms(), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
if redis.call('ZCARD', key) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', key, now, now .. ':' .. redis.call('INCR', P .. 'seq'))
redis.call('PEXPIRE', key, win)
return 1
