-- ARGV: P, user, gsid, platform, instance, one_per_platform ('1'/'0'), friends ('1'/'0').
-- Returns 0, or -1 if the account is not imported.
local u, gsid, platform, instance = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('SISMEMBER', P .. 'accounts', u) == 0 then return -1 end
local before = status(u)
local ends = {}
for _, d in ipairs(sessions(u)) do
  local reason
  if d.g == gsid then reason = nil -- already registered by a concurrent sync of this node
  elseif d.i == instance then reason = 'replace'
  elseif ARGV[6] == '1' and d.p == platform then reason = 'kick' end
  if reason then
    redis.call('HDEL', P .. 's:' .. u, d.g)
    redis.call('SREM', P .. 'ns:' .. node_of(d.g), d.g .. ' ' .. u)
    ends[#ends + 1] = { d.g, reason }
  end
end
add_session(u, gsid, platform, instance)
publish(u, before, ends, ARGV[7])
return 0
