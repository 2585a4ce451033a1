-- ARGV: P, friends ('1'/'0'), users... Returns per user the statuses (JSON) of the user itself and
-- of every account it hears: its subscriptions and, with the friend switch on, its friends.
local out = {}
for i = 3, #ARGV do
  local u = ARGV[i]
  local ids = redis.call('ZRANGE', P .. 'sub:' .. u, 0, -1)
  if ARGV[2] == '1' then
    for _, f in ipairs(redis.call('SMEMBERS', P .. 'fr:' .. u)) do ids[#ids + 1] = f end
  end
  local seen, list = { [u] = true }, { status(u) }
  for _, t in ipairs(ids) do
    if not seen[t] then
      seen[t] = true
      list[#list + 1] = status(t)
    end
  end
  out[i - 2] = list
end
return out
