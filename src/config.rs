//! `json_sdk_config` of `TIMInit`: Tencent's keys plus this library's own (see docs/C_API.md).

use serde_json::{Map, Value};
use std::time::Duration;

/// The server's default listen address.
pub const DEFAULT_SERVER_URL: &str = "ws://127.0.0.1:7788/ws";
/// Environment variable consulted when `sdk_config_server_url` is absent.
pub const SERVER_URL_ENV: &str = "IMSDK_SERVER_URL";
/// Largest accepted `*_ms` setting: one day.
const MAX_MS: u64 = 86_400_000;
/// Default cap of one frame or message from the server (the server's own frames are 64 KiB).
pub(crate) const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Accepted range of `sdk_config_max_message_bytes`.
const MESSAGE_BYTES_RANGE: std::ops::RangeInclusive<u64> = 1024..=64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub sdk_app_id: u64,
    pub server_url: String,
    /// Callbacks are queued for `TIMDispatchCallbacks` instead of running on the SDK thread.
    pub manual_dispatch: bool,
    pub request_timeout: Duration,
    pub platform: String,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// Extra PEM root certificates trusted for `wss://` (besides the Mozilla roots).
    pub ca_file: Option<String>,
    /// Largest frame or message accepted from the server; a larger one closes the connection
    /// (read no further than its header) and the library reconnects.
    pub max_message_bytes: usize,
}

/// Why a config was refused: `-3` (JSON) or `-4` (parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    Json,
    Param,
}

impl Config {
    /// Parses `json_sdk_config` (`None` or empty = defaults). Unknown keys are ignored; known keys
    /// of the wrong type are a JSON error.
    pub fn parse(sdk_app_id: u64, json: Option<&str>) -> Result<Config, ConfigError> {
        let obj = match json.map(str::trim) {
            None | Some("") | Some("null") => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(obj)) => obj,
                _ => return Err(ConfigError::Json),
            },
        };
        let get_str = |key: &str| -> Result<Option<String>, ConfigError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ConfigError::Json),
            }
        };
        let get_ms = |key: &str, default: u64| -> Result<Duration, ConfigError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(Duration::from_millis(default)),
                Some(v) => match v.as_u64() {
                    // Larger values would overflow deadline arithmetic (Instant + Duration).
                    Some(ms) if ms > MAX_MS => Err(ConfigError::Param),
                    Some(ms) => Ok(Duration::from_millis(ms)),
                    None => Err(ConfigError::Json),
                },
            }
        };
        // Tencent's keys: type-checked, otherwise unused (this library keeps no files).
        get_str("sdk_config_config_file_path")?;
        get_str("sdk_config_log_file_path")?;
        let manual_dispatch = match obj.get("sdk_config_manual_dispatch") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ConfigError::Json),
        };
        let server_url = match get_str("sdk_config_server_url")? {
            Some(url) => url,
            None => std::env::var(SERVER_URL_ENV).unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned()),
        };
        if !(server_url.starts_with("ws://") || server_url.starts_with("wss://")) {
            return Err(ConfigError::Param);
        }
        let reconnect_min = get_ms("sdk_config_reconnect_min_ms", 500)?;
        let reconnect_max = get_ms("sdk_config_reconnect_max_ms", 30_000)?.max(reconnect_min);
        let request_timeout = get_ms("sdk_config_request_timeout_ms", 15_000)?;
        if sdk_app_id == 0 || request_timeout.is_zero() {
            return Err(ConfigError::Param);
        }
        let max_message_bytes = match obj.get("sdk_config_max_message_bytes") {
            None | Some(Value::Null) => DEFAULT_MAX_MESSAGE_BYTES,
            Some(v) => match v.as_u64() {
                Some(n) if MESSAGE_BYTES_RANGE.contains(&n) => n as usize,
                Some(_) => return Err(ConfigError::Param),
                None => return Err(ConfigError::Json),
            },
        };
        Ok(Config {
            sdk_app_id,
            server_url,
            manual_dispatch,
            request_timeout,
            platform: get_str("sdk_config_platform")?
                .unwrap_or_else(|| default_platform().to_owned()),
            reconnect_min,
            reconnect_max,
            ca_file: get_str("sdk_config_ca_file")?,
            max_message_bytes,
        })
    }
}

/// The platform name Tencent reports in `user_status_online_devices` for this target.
fn default_platform() -> &'static str {
    if cfg!(target_os = "windows") {
        "Windows"
    } else if cfg!(target_os = "macos") {
        "Mac"
    } else if cfg!(target_os = "android") {
        "Android"
    } else if cfg!(target_os = "ios") {
        "iPhone"
    } else {
        "Linux"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_type_errors() {
        let c = Config::parse(1, None).expect("defaults");
        assert!(!c.manual_dispatch);
        assert_eq!(c.request_timeout, Duration::from_secs(15));
        let c = Config::parse(1, Some(r#"{"sdk_config_server_url":"wss://h/ws","x":[1],"sdk_config_manual_dispatch":true}"#))
            .expect("valid");
        assert_eq!(c.server_url, "wss://h/ws");
        assert!(c.manual_dispatch);
        assert_eq!(Config::parse(1, Some("{")).err(), Some(ConfigError::Json));
        assert_eq!(Config::parse(1, Some("[]")).err(), Some(ConfigError::Json));
        assert_eq!(
            Config::parse(1, Some(r#"{"sdk_config_log_file_path":3}"#)).err(),
            Some(ConfigError::Json)
        );
        assert_eq!(
            Config::parse(1, Some(r#"{"sdk_config_request_timeout_ms":-1}"#)).err(),
            Some(ConfigError::Json)
        );
        assert_eq!(
            Config::parse(1, Some(r#"{"sdk_config_server_url":"http://x"}"#)).err(),
            Some(ConfigError::Param)
        );
        assert_eq!(Config::parse(0, None).err(), Some(ConfigError::Param));
        assert_eq!(c.max_message_bytes, DEFAULT_MAX_MESSAGE_BYTES);
        let big = Config::parse(1, Some(r#"{"sdk_config_max_message_bytes":2097152}"#));
        assert_eq!(big.map(|c| c.max_message_bytes).ok(), Some(2 << 20));
        for (j, e) in [
            ("0", ConfigError::Param),
            ("1e12", ConfigError::Json),
            ("\"1\"", ConfigError::Json),
        ] {
            let json = format!(r#"{{"sdk_config_max_message_bytes":{j}}}"#);
            assert_eq!(Config::parse(1, Some(&json)).err(), Some(e), "{j}");
        }
    }
}
