//! Tencent's TLSSigAPIv2 UserSig: HMAC-SHA256 over a fixed text, a JSON envelope, zlib, and
//! Tencent's base64 variant (`+`→`*`, `/`→`-`, `=`→`_`). Compatible with Tencent's published
//! generators (`tls-sig-api-v2` on PyPI and its C#, Go and Java twins).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::io::{Read, Write};

/// Default validity of a generated UserSig, as Tencent's generators: 180 days.
pub const DEFAULT_EXPIRE_S: u64 = 180 * 86400;
/// A decompressed UserSig larger than this is refused (the real ones are ~200 bytes).
const MAX_JSON_BYTES: u64 = 4096;

/// Why a UserSig was refused, mapped to Tencent's error codes by [`VerifyError::code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not Tencent base64, not zlib, not the expected JSON: 70003.
    Malformed,
    /// `TLS.sdkappid` differs from the app: 70014.
    SdkAppIdMismatch,
    /// `TLS.identifier` differs from the user logging in: 70013.
    IdentifierMismatch,
    /// `TLS.time + TLS.expire` is in the past: 70001.
    Expired,
    /// The HMAC does not match the app's secret key: 70003.
    SignatureMismatch,
}

impl VerifyError {
    pub fn code(&self) -> i32 {
        match self {
            VerifyError::Malformed | VerifyError::SignatureMismatch => 70003,
            VerifyError::SdkAppIdMismatch => 70014,
            VerifyError::IdentifierMismatch => 70013,
            VerifyError::Expired => 70001,
        }
    }
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyError::Malformed => "UserSig is malformed",
            VerifyError::SdkAppIdMismatch => "UserSig was issued for another SDKAppID",
            VerifyError::IdentifierMismatch => "UserSig was issued for another identifier",
            VerifyError::Expired => "UserSig has expired",
            VerifyError::SignatureMismatch => "UserSig signature check failed",
        })
    }
}

impl std::error::Error for VerifyError {}

/// The verified content of a UserSig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Unix second at which the UserSig stops being valid.
    pub expires_at: u64,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "TLS.identifier")]
    identifier: String,
    #[serde(rename = "TLS.sdkappid")]
    sdkappid: u64,
    #[serde(rename = "TLS.time")]
    time: u64,
    #[serde(rename = "TLS.expire")]
    expire: u64,
    #[serde(rename = "TLS.sig")]
    sig: String,
    #[serde(rename = "TLS.userbuf", default)]
    userbuf: Option<String>,
}

fn content_to_sign(
    identifier: &str,
    sdkappid: u64,
    time: u64,
    expire: u64,
    userbuf: Option<&str>,
) -> String {
    let mut s = format!("TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n");
    if let Some(b) = userbuf {
        s.push_str("TLS.userbuf:");
        s.push_str(b);
        s.push('\n');
    }
    s
}

fn hmac_sha256(key: &str, content: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(content.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn tencent_b64_encode(data: &[u8]) -> String {
    STANDARD
        .encode(data)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

fn tencent_b64_decode(s: &str) -> Option<Vec<u8>> {
    let std: String = s
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    STANDARD.decode(std).ok()
}

/// Generates a UserSig exactly as Tencent's generators do, with `now` as `TLS.time`.
pub fn generate_at(
    sdk_app_id: u64,
    secret_key: &str,
    identifier: &str,
    expire_s: u64,
    now: u64,
) -> String {
    let sig = STANDARD.encode(hmac_sha256(
        secret_key,
        &content_to_sign(identifier, sdk_app_id, now, expire_s, None),
    ));
    let json = serde_json::json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdk_app_id,
        "TLS.expire": expire_s,
        "TLS.time": now,
        "TLS.sig": sig,
    });
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(json.to_string().as_bytes());
    tencent_b64_encode(&z.finish().unwrap_or_default())
}

/// Generates a UserSig valid for `expire_s` seconds from now.
pub fn generate(sdk_app_id: u64, secret_key: &str, identifier: &str, expire_s: u64) -> String {
    generate_at(sdk_app_id, secret_key, identifier, expire_s, unix_now())
}

/// Verifies a UserSig in Tencent's order: SDKAppID, identifier, expiry, signature.
pub fn verify(
    user_sig: &str,
    sdk_app_id: u64,
    secret_key: &str,
    identifier: &str,
    now: u64,
) -> Result<Verified, VerifyError> {
    let compressed = tencent_b64_decode(user_sig.trim()).ok_or(VerifyError::Malformed)?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|_| VerifyError::Malformed)?;
    if json.len() as u64 > MAX_JSON_BYTES {
        return Err(VerifyError::Malformed);
    }
    let env: Envelope = serde_json::from_slice(&json).map_err(|_| VerifyError::Malformed)?;
    if env.sdkappid != sdk_app_id {
        return Err(VerifyError::SdkAppIdMismatch);
    }
    if env.identifier != identifier {
        return Err(VerifyError::IdentifierMismatch);
    }
    let expires_at = env.time.saturating_add(env.expire);
    if now > expires_at {
        return Err(VerifyError::Expired);
    }
    let expected = hmac_sha256(
        secret_key,
        &content_to_sign(
            &env.identifier,
            env.sdkappid,
            env.time,
            env.expire,
            env.userbuf.as_deref(),
        ),
    );
    let given = STANDARD
        .decode(env.sig.as_bytes())
        .map_err(|_| VerifyError::SignatureMismatch)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], &given[..])) {
        return Err(VerifyError::SignatureMismatch);
    }
    Ok(Verified { expires_at })
}

/// Current Unix time in seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    #[test]
    fn generated_sig_verifies_and_every_mismatch_has_its_code() {
        let sig = generate_at(1400000000, KEY, "alice", 3600, 1_700_000_000);
        assert_eq!(
            verify(&sig, 1400000000, KEY, "alice", 1_700_000_100),
            Ok(Verified {
                expires_at: 1_700_003_600
            })
        );
        assert_eq!(
            verify(&sig, 1400000001, KEY, "alice", 1_700_000_100)
                .unwrap_err()
                .code(),
            70014
        );
        assert_eq!(
            verify(&sig, 1400000000, KEY, "bob", 1_700_000_100)
                .unwrap_err()
                .code(),
            70013
        );
        assert_eq!(
            verify(&sig, 1400000000, KEY, "alice", 1_700_003_601)
                .unwrap_err()
                .code(),
            70001
        );
        assert_eq!(
            verify(&sig, 1400000000, "other", "alice", 1_700_000_100).unwrap_err(),
            VerifyError::SignatureMismatch
        );
        assert_eq!(
            verify("not a sig", 1400000000, KEY, "alice", 0).unwrap_err(),
            VerifyError::Malformed
        );
        assert_eq!(
            verify("", 1400000000, KEY, "alice", 0).unwrap_err(),
            VerifyError::Malformed
        );
    }
}
