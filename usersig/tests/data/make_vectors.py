"""Makes tencent_vectors.json with Tencent's own generator, the PyPI package `tls-sig-api-v2` (1.1).

    pip install tls-sig-api-v2==1.1 && python3 usersig/tests/data/make_vectors.py > usersig/tests/data/tencent_vectors.json

time.time() is pinned per vector so the output is reproducible; the generator code is Tencent's, unchanged.
"""
import json
import time

import TLSSigAPIv2

CASES = [
    # sdkappid, key, identifier, expire, time, userbuf
    (1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "xiaojun", 180 * 86400, 1700000000, None),
    (1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "administrator", 86400, 1750000000, None),
    (20000001, "dev-secret-key", "user_1", 3600, 1800000000, None),
    (20000001, "dev-secret-key", "A-b_C.9@x", 604800, 1760000000, None),
    (1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "xiaojun", 86400 * 180, 1700000000, b"abc"),
]

out = []
for sdkappid, key, ident, expire, now, userbuf in CASES:
    time.time = lambda now=now: float(now)
    api = TLSSigAPIv2.TLSSigAPIv2(sdkappid, key)
    sig = api.gen_sig_with_userbuf(ident, expire, userbuf) if userbuf else api.gen_sig(ident, expire)
    out.append({"sdkappid": sdkappid, "key": key, "identifier": ident, "expire": expire, "time": now,
                "userbuf": userbuf.decode() if userbuf else None, "usersig": sig})
print(json.dumps(out, indent=1))
