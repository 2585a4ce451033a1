-- ARGV: P, user, text, friends. Returns 0, or -1 if the account is not imported.
local u = ARGV[2]
if redis.call('SISMEMBER', P .. 'accounts', u) == 0 then return -1 end
local before = status(u)
redis.call('HSET', P .. 'a:' .. u, 'custom', ARGV[3])
publish(u, before, {}, ARGV[4])
return 0
