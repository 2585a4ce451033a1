-- ARGV: P, user, gsid, how ('out'/'disc'), friends, retention_ms. Returns 1 if the session was there.
return drop_session(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
