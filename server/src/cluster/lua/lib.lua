-- Shared by every script (prepended). ARGV[1] is the app's key prefix P; every key is P..name.
-- Keys: accounts (set), a:U (hash custom,end), s:U (hash gsid -> {p,i,q}), sub:U (zset target->seq),
-- subr:U (set of subscribers), fr:U / fo:U (friends / friend-of sets), seq (counter),
-- node:N (lease), nodes (set), ns:N (set of "gsid user"), expiring (zset user -> ms when its
-- subscription list is dropped). Channel: P..'events'.
local P = ARGV[1]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function sessions(u)
  local raw = redis.call('HGETALL', P .. 's:' .. u)
  local list = {}
  for i = 1, #raw, 2 do
    local d = cjson.decode(raw[i + 1])
    d.g = raw[i]
    list[#list + 1] = d
  end
  table.sort(list, function(a, b) return a.q < b.q end)
  return list
end

-- The account's status as the JSON of a TIMUserStatus.
local function status(u)
  local devs, seen = {}, {}
  local list = sessions(u)
  for _, d in ipairs(list) do
    if not seen[d.p] then
      seen[d.p] = true
      devs[#devs + 1] = cjson.encode(d.p)
    end
  end
  local a = redis.call('HMGET', P .. 'a:' .. u, 'custom', 'end')
  local t = 3
  if #list > 0 then t = 1 elseif a[2] == 'disc' then t = 2 end
  return '{"user_status_identifier":' .. cjson.encode(u) .. ',"user_status_status_type":' .. t ..
    ',"user_status_custom_status":' .. cjson.encode(a[1] or '') ..
    ',"user_status_online_devices":[' .. table.concat(devs, ',') .. ']}'
end

local function jlist(items)
  local out = {}
  for i, s in ipairs(items) do out[i] = cjson.encode(s) end
  return '[' .. table.concat(out, ',') .. ']'
end

-- Publishes once: the new status (if it differs from `before`) with its recipients, and the
-- sessions to end ({gsid, reason}). Recipients: the account, its subscribers, and (friend switch
-- on) the users listing it as a friend.
local function publish(u, before, ends, friends)
  local after = status(u)
  local changed = after ~= before
  if not changed and #ends == 0 then return 0 end
  local to = {}
  if changed then
    local seen = { [u] = true }
    to[1] = u
    for _, s in ipairs(redis.call('SMEMBERS', P .. 'subr:' .. u)) do
      if not seen[s] then seen[s] = true; to[#to + 1] = s end
    end
    if friends == '1' then
      for _, s in ipairs(redis.call('SMEMBERS', P .. 'fo:' .. u)) do
        if not seen[s] then seen[s] = true; to[#to + 1] = s end
      end
    end
  end
  local e = {}
  for i, x in ipairs(ends) do e[i] = '[' .. cjson.encode(x[1]) .. ',' .. cjson.encode(x[2]) .. ']' end
  redis.call('PUBLISH', P .. 'events', '{"u":' .. cjson.encode(u) .. ',"s":' .. (changed and after or 'null') .. ',"to":' .. jlist(to) ..
    ',"end":[' .. table.concat(e, ',') .. ']}')
  return 1
end

local function node_of(gsid)
  return string.match(gsid, '^([^/]*)/')
end

-- Removes one session; when it was the last, the account ends (`how` = 'out' or 'disc'): custom
-- status cleared, subscription list kept for `retention` ms more. Publishes the change.
local function drop_session(u, gsid, how, friends, retention)
  local before = status(u)
  if redis.call('HDEL', P .. 's:' .. u, gsid) == 0 then return 0 end
  redis.call('SREM', P .. 'ns:' .. node_of(gsid), gsid .. ' ' .. u)
  if redis.call('HLEN', P .. 's:' .. u) == 0 then
    redis.call('HSET', P .. 'a:' .. u, 'end', how, 'custom', '')
    redis.call('ZADD', P .. 'expiring', now_ms() + tonumber(retention), u)
  end
  publish(u, before, {}, friends)
  return 1
end

-- Adds a session (no displacement); the caller publishes.
local function add_session(u, gsid, platform, instance)
  local q = redis.call('INCR', P .. 'seq')
  redis.call('HSET', P .. 's:' .. u, gsid, cjson.encode({ p = platform, i = instance, q = q }))
  redis.call('SADD', P .. 'ns:' .. node_of(gsid), gsid .. ' ' .. u)
  redis.call('ZREM', P .. 'expiring', u)
end

-- Drops the subscription lists whose retention ran out (owner still without a session).
local function expire_lists()
  local key = P .. 'expiring'
  for _, u in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', now_ms())) do
    if redis.call('HLEN', P .. 's:' .. u) == 0 then
      for _, t in ipairs(redis.call('ZRANGE', P .. 'sub:' .. u, 0, -1)) do
        redis.call('SREM', P .. 'subr:' .. t, u)
      end
      redis.call('DEL', P .. 'sub:' .. u)
    end
    redis.call('ZREM', key, u)
  end
end

-- Reaps the sessions of every node whose lease is gone, then expires subscription lists;
-- returns how many sessions ended.
local function sweep(friends, retention)
  local n = 0
  for _, node in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
    if redis.call('EXISTS', P .. 'node:' .. node) == 0 then
      for _, m in ipairs(redis.call('SMEMBERS', P .. 'ns:' .. node)) do
        local gsid, u = string.match(m, '^(%S+) (.*)$')
        n = n + drop_session(u, gsid, 'disc', friends, retention)
      end
      redis.call('DEL', P .. 'ns:' .. node)
      redis.call('SREM', P .. 'nodes', node)
    end
  end
  expire_lists()
  return n
end
