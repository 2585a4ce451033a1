-- ARGV: P, caller, ids... (none: the whole list).
local me = ARGV[2]
local key = P .. 'sub:' .. me
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then ids = redis.call('ZRANGE', key, 0, -1) end
for _, t in ipairs(ids) do
  redis.call('ZREM', key, t)
  redis.call('SREM', P .. 'subr:' .. t, me)
end
return 0
