-- ARGV: P, node, lease_ms, friends, retention_ms, one_per_platform, then (user, gsid, platform,
-- instance) per live session of the node. Renews the lease and makes Redis hold exactly these
-- sessions for the node: unknown ones are ended (OFFLINE if last), missing ones are added back
-- (ONLINE again) unless a newer login took their place meanwhile (same instance, or same platform
-- under one_per_platform). Returns {user, gsid, 'replace'|'kick'} for each session not taken back.
local node = ARGV[2]
redis.call('SET', P .. 'node:' .. node, '1', 'PX', ARGV[3])
redis.call('SADD', P .. 'nodes', node)
local live = {}
for i = 7, #ARGV, 4 do live[ARGV[i + 1] .. ' ' .. ARGV[i]] = i end
for _, m in ipairs(redis.call('SMEMBERS', P .. 'ns:' .. node)) do
  if not live[m] then
    local gsid, u = string.match(m, '^(%S+) (.*)$')
    drop_session(u, gsid, 'disc', ARGV[4], ARGV[5])
  end
end
local refused = {}
for i = 7, #ARGV, 4 do
  local u, gsid, platform, instance = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('HEXISTS', P .. 's:' .. u, gsid) == 0 and redis.call('SISMEMBER', P .. 'accounts', u) == 1 then
    local reason
    for _, d in ipairs(sessions(u)) do
      if d.i == instance then reason = 'replace'
      elseif ARGV[6] == '1' and d.p == platform then reason = 'kick' end
    end
    if reason then
      refused[#refused + 1] = u
      refused[#refused + 1] = gsid
      refused[#refused + 1] = reason
    else
      local before = status(u)
      add_session(u, gsid, platform, instance)
      publish(u, before, {}, ARGV[4])
    end
  end
end
return refused
