-- ARGV: P, node, lease_ms, friends, retention_ms, then (user, gsid, platform, instance) per live
-- session of the node. Renews the lease and makes Redis hold exactly these sessions for the node:
-- missing ones are added back (ONLINE again), unknown ones are ended (OFFLINE if last).
local node = ARGV[2]
redis.call('SET', P .. 'node:' .. node, '1', 'PX', ARGV[3])
redis.call('SADD', P .. 'nodes', node)
local live = {}
for i = 6, #ARGV, 4 do live[ARGV[i + 1] .. ' ' .. ARGV[i]] = i end
for _, m in ipairs(redis.call('SMEMBERS', P .. 'ns:' .. node)) do
  if not live[m] then
    local gsid, u = string.match(m, '^(%S+) (.*)$')
    drop_session(u, gsid, 'disc', ARGV[4], ARGV[5])
  end
end
for i = 6, #ARGV, 4 do
  local u, gsid = ARGV[i], ARGV[i + 1]
  if redis.call('HEXISTS', P .. 's:' .. u, gsid) == 0 and redis.call('SISMEMBER', P .. 'accounts', u) == 1 then
    local before = status(u)
    add_session(u, gsid, ARGV[i + 2], ARGV[i + 3])
    publish(u, before, {}, ARGV[4])
  end
end
return 0
