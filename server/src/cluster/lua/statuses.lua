-- ARGV: P, ids... Returns per id: false if not imported, else {status JSON, platform of each session}.
local out = {}
for i = 2, #ARGV do
  local u = ARGV[i]
  if redis.call('SISMEMBER', P .. 'accounts', u) == 1 then
    local item = { status(u) }
    for _, d in ipairs(sessions(u)) do item[#item + 1] = d.p end
    out[i - 1] = item
  else
    out[i - 1] = false
  end
end
return out
