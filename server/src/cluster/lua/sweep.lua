-- ARGV: P, friends, retention_ms, leaving node ('' for none). A leaving node drops its lease first.
if ARGV[4] ~= '' then redis.call('DEL', P .. 'node:' .. ARGV[4]) end
return sweep(ARGV[2], ARGV[3])
