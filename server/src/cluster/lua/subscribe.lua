-- ARGV: P, caller, cap, ids... Returns per id 1 (subscribed) or 0 (not imported).
local me, cap = ARGV[2], tonumber(ARGV[3])
local key = P .. 'sub:' .. me
local out = {}
for i = 4, #ARGV do
  local t = ARGV[i]
  if redis.call('SISMEMBER', P .. 'accounts', t) == 1 then
    redis.call('ZADD', key, redis.call('INCR', P .. 'seq'), t)
    redis.call('SADD', P .. 'subr:' .. t, me)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
local over = redis.call('ZCARD', key) - cap
if over > 0 then
  for _, t in ipairs(redis.call('ZRANGE', key, 0, over - 1)) do
    redis.call('ZREM', key, t)
    redis.call('SREM', P .. 'subr:' .. t, me)
  end
end
return out
