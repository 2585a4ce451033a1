"""Makes tencent_usersigs.json with Tencent's own generator, the PyPI package `tls-sig-api-v2` (1.1).

    python3 -m venv /tmp/v && /tmp/v/bin/pip install tls-sig-api-v2==1.1
    /tmp/v/bin/python server/tests/data/make_usersigs.py > server/tests/data/tencent_usersigs.json

The UserSigs are for the server's embedded development app (1400000001, "imsdk-dev-secret-key"), signed at a
pinned time with a 100-year validity so the server tests can log in with them; the generator code is
Tencent's, unchanged. One expired and one wrong-key UserSig check the refusals.
"""
import json
import time

import TLSSigAPIv2

APP, KEY = 1400000001, "imsdk-dev-secret-key"
CENTURY = 100 * 365 * 86400
CASES = [
    # name, sdkappid, key, identifier, expire, time, expected login code
    ("valid", APP, KEY, "alice", CENTURY, 1764000000, 0),
    ("valid_admin", APP, KEY, "administrator", CENTURY, 1764000000, 0),
    ("valid_punctuated_id", APP, KEY, "A-b_C.9@x", CENTURY, 1764000000, 0),
    ("expired", APP, KEY, "alice", 86400, 1700000000, 70001),
    ("wrong_key", APP, "not-the-app-key", "alice", CENTURY, 1764000000, 70003),
]

out = []
for name, sdkappid, key, ident, expire, now, code in CASES:
    time.time = lambda now=now: float(now)
    sig = TLSSigAPIv2.TLSSigAPIv2(sdkappid, key).gen_sig(ident, expire)
    out.append({"name": name, "sdkappid": sdkappid, "identifier": ident, "expire": expire, "time": now,
                "login_code": code, "usersig": sig})
print(json.dumps(out, indent=1))
