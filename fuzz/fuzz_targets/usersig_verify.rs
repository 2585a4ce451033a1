//! UserSig decoding (base64 variant, zlib, JSON, HMAC): any string is refused with one of
//! Tencent's codes, never a panic, and never accepted unless it is a real signature.
#![no_main]

use imsdk_fuzz::{APP, KEY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let now = imsdk_usersig::unix_now();
    match imsdk_usersig::verify(&text, APP, KEY, "alice", now) {
        Ok(v) => assert!(v.expires_at >= now),
        Err(e) => assert!(
            [70001, 70003, 70013, 70014].contains(&e.code()),
            "{e:?} -> {}",
            e.code()
        ),
    }
});
