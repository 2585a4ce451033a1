-- ARGV: P, from, to, both ('1'/'0'), add ('1'/'0'). Returns 0, or -1 if an account is not imported.
local a, b = ARGV[2], ARGV[3]
if redis.call('SISMEMBER', P .. 'accounts', a) == 0 or redis.call('SISMEMBER', P .. 'accounts', b) == 0 then
  return -1
end
local op = ARGV[5] == '1' and 'SADD' or 'SREM'
local pairs_ = { { a, b } }
if ARGV[4] == '1' then pairs_[2] = { b, a } end
for _, x in ipairs(pairs_) do
  redis.call(op, P .. 'fr:' .. x[1], x[2])
  redis.call(op, P .. 'fo:' .. x[2], x[1])
end
return 0
