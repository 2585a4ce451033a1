//! The wire protocol between the native library and `imsdk-server`.
//!
//! JSON text frames over WebSocket at [`WS_PATH`]. Every frame is one object with an `"op"` tag.
//! Requests carry a client-chosen `id`; the server answers each with exactly one [`ServerFrame::Reply`]
//! with the same `id`. Pushes ([`ServerFrame::StatusChanged`], [`ServerFrame::KickedOffline`], ...)
//! carry no id. The semantics live in these types, not in JSON: a binary encoding of the same
//! types could be added later under a new [`PROTOCOL_VERSION`]. See `docs/PROTOCOL.md`.

use serde::{Deserialize, Serialize};

pub mod code;
mod status;

pub use status::{UserStatus, UserStatusType};

/// Version of the frame semantics; sent by the client at login, echoed by the server.
pub const PROTOCOL_VERSION: u32 = 1;
/// The WebSocket endpoint path.
pub const WS_PATH: &str = "/ws";
/// Longest user id, in bytes (Tencent: printable ASCII, at most 32 bytes).
pub const MAX_USER_ID_BYTES: usize = 32;
/// Longest custom status, in bytes of UTF-8.
pub const MAX_CUSTOM_STATUS_BYTES: usize = 100;

/// Tencent's identifier rule (7003): 1 to [`MAX_USER_ID_BYTES`] bytes of printable ASCII
/// (0x20-0x7e). The server checks user ids, platforms and admins with it.
pub fn valid_user_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_USER_ID_BYTES
        && id.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// A frame sent by the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Must be the first frame of a connection.
    Login(LoginRequest),
    /// Ends the session on purpose: the account becomes UNLOGINED if no other session remains.
    Logout {
        id: u64,
    },
    /// Keeps the session alive; the reply carries the server time.
    Heartbeat {
        id: u64,
    },
    /// Sets (or, when `None` or empty, clears) the caller's own custom status.
    SetSelfStatus {
        id: u64,
        #[serde(default)]
        custom_status: Option<String>,
    },
    GetUserStatus {
        id: u64,
        user_ids: Vec<String>,
    },
    SubscribeUserStatus {
        id: u64,
        user_ids: Vec<String>,
    },
    /// `None` or an empty list clears the whole subscription list.
    UnsubscribeUserStatus {
        id: u64,
        #[serde(default)]
        user_ids: Option<Vec<String>>,
    },
}

impl ClientFrame {
    /// The request id that the server's reply will carry.
    pub fn id(&self) -> u64 {
        match self {
            ClientFrame::Login(LoginRequest { id, .. })
            | ClientFrame::Logout { id }
            | ClientFrame::Heartbeat { id }
            | ClientFrame::SetSelfStatus { id, .. }
            | ClientFrame::GetUserStatus { id, .. }
            | ClientFrame::SubscribeUserStatus { id, .. }
            | ClientFrame::UnsubscribeUserStatus { id, .. } => *id,
        }
    }

    /// The login request, if this is a login frame; any other frame comes back as it was.
    pub fn into_login(self) -> Result<LoginRequest, ClientFrame> {
        match self {
            ClientFrame::Login(login) => Ok(login),
            other => Err(other),
        }
    }
}

/// The login frame's fields ([`ClientFrame::Login`]): what the library sends and the server
/// admits. On the wire they sit beside the frame's `"op":"login"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The request id that the login reply will carry.
    pub id: u64,
    /// The client's [`PROTOCOL_VERSION`].
    pub version: u32,
    pub sdk_app_id: u64,
    pub user_id: String,
    pub user_sig: String,
    /// Platform name as Tencent reports it in `user_status_online_devices`.
    pub platform: String,
    /// Stable per SDK instance (a re-login with it replaces the old session).
    pub instance_id: String,
}

impl From<LoginRequest> for ClientFrame {
    fn from(login: LoginRequest) -> ClientFrame {
        ClientFrame::Login(login)
    }
}

/// A frame sent by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The answer to the request with the same `id`. `code` is a Tencent error code (0 = success).
    /// `id` is 0 when the request could not be parsed far enough to read its id.
    Reply {
        id: u64,
        code: i32,
        #[serde(default)]
        desc: String,
        /// [`LoginReply`] for login, [`HeartbeatReply`] for heartbeat, an array of [`UserStatus`]
        /// for get_user_status; absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<serde_json::Value>,
    },
    /// Status changes of users this session follows (own account, subscriptions, friends).
    StatusChanged { statuses: Vec<UserStatus> },
    /// Another login took this session's place (code 6208); the server closes the connection next.
    KickedOffline { code: i32, desc: String },
    /// The session's UserSig expired (code 70001); the server closes the connection next.
    UserSigExpired { code: i32, desc: String },
}

/// `data` of the login reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginReply {
    pub version: u32,
    /// The client must send something (a heartbeat will do) well within this many seconds.
    pub heartbeat_timeout_s: u64,
    /// Server time, Unix seconds.
    pub server_time: u64,
    /// The app's limits, which the client checks calls against (absent from older servers: the
    /// client then keeps Tencent's defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<AppLimits>,
}

/// The per-app limits a client checks before sending (the server checks them again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppLimits {
    /// Longest custom status, in bytes.
    pub custom_status_max_bytes: usize,
    /// Ids per get_user_status.
    pub get_max_ids: usize,
    /// Ids per subscribe / unsubscribe.
    pub subscribe_max_ids: usize,
    /// Subscriptions per account (the oldest are evicted beyond).
    pub subscription_max: usize,
}

/// Tencent's ids per get_user_status ([`AppLimits`]' default).
pub const GET_MAX_IDS: usize = 500;
/// Tencent's ids per subscribe / unsubscribe ([`AppLimits`]' default).
pub const SUBSCRIBE_MAX_IDS: usize = 100;
/// Tencent's subscriptions per account ([`AppLimits`]' default).
pub const SUBSCRIPTION_MAX: usize = 200;

impl Default for AppLimits {
    /// Tencent's.
    fn default() -> Self {
        AppLimits {
            custom_status_max_bytes: MAX_CUSTOM_STATUS_BYTES,
            get_max_ids: GET_MAX_IDS,
            subscribe_max_ids: SUBSCRIBE_MAX_IDS,
            subscription_max: SUBSCRIPTION_MAX,
        }
    }
}

/// `data` of the heartbeat reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatReply {
    /// Server time, Unix seconds.
    pub server_time: u64,
}

/// WebSocket close codes the server uses (RFC 6455 codes, plus application codes 4000-4999).
pub mod close {
    /// Server shutting down: reconnect (possibly to another node) with backoff.
    pub const GOING_AWAY: u16 = 1001;
    /// Protocol violation (binary frame, request before login, ...): do not retry as is.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Frame over the server's size cap.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// Kicked by another login of the same account (6208): do not reconnect.
    pub const KICKED_OFFLINE: u16 = 4001;
    /// No frame within the heartbeat timeout.
    pub const HEARTBEAT_TIMEOUT: u16 = 4002;
    /// The session did not read its pushes fast enough: its outbound queue overflowed. Reconnect.
    pub const SLOW_CONSUMER: u16 = 4003;
    /// The UserSig expired (70001): log in again with a new one.
    pub const USER_SIG_EXPIRED: u16 = 4004;
    /// Login failed; the reply carried the code.
    pub const LOGIN_FAILED: u16 = 4005;
    /// The session logged out.
    pub const LOGGED_OUT: u16 = 4006;
}

/// Encodes a frame as a JSON text frame.
pub fn encode<T: Serialize>(frame: &T) -> String {
    // Serializing these plain types into a String cannot fail: no maps with non-string keys,
    // no fallible Serialize impls.
    serde_json::to_string(frame).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_request_is_the_login_frame() {
        let request = LoginRequest {
            id: 7,
            version: PROTOCOL_VERSION,
            sdk_app_id: 1400000001,
            user_id: "u1".into(),
            user_sig: "sig".into(),
            platform: "Windows".into(),
            instance_id: "i1".into(),
        };
        let frame = ClientFrame::from(request.clone());
        assert_eq!(
            encode(&frame),
            r#"{"op":"login","id":7,"version":1,"sdk_app_id":1400000001,"user_id":"u1","user_sig":"sig","platform":"Windows","instance_id":"i1"}"#
        );
        assert_eq!(frame.into_login(), Ok(request));
        let other = ClientFrame::Heartbeat { id: 3 };
        assert_eq!(other.clone().into_login(), Err(other));
    }

    #[test]
    fn client_frames_round_trip_with_op_tags() {
        let f = ClientFrame::SubscribeUserStatus {
            id: 7,
            user_ids: vec!["a".into()],
        };
        let s = encode(&f);
        assert_eq!(
            s,
            r#"{"op":"subscribe_user_status","id":7,"user_ids":["a"]}"#
        );
        assert_eq!(serde_json::from_str::<ClientFrame>(&s).unwrap(), f);
        let f: ClientFrame =
            serde_json::from_str(r#"{"op":"unsubscribe_user_status","id":1}"#).unwrap();
        assert_eq!(
            f,
            ClientFrame::UnsubscribeUserStatus {
                id: 1,
                user_ids: None
            }
        );
        assert!(serde_json::from_str::<ClientFrame>(r#"{"op":"nope","id":1}"#).is_err());
    }

    #[test]
    fn status_uses_tencent_keys() {
        let st = UserStatus {
            user_status_identifier: "u1".into(),
            user_status_status_type: UserStatusType::Online,
            user_status_custom_status: "hi".into(),
            user_status_online_devices: vec!["Linux".into()],
        };
        let s = encode(&ServerFrame::StatusChanged { statuses: vec![st] });
        assert_eq!(
            s,
            r#"{"op":"status_changed","statuses":[{"user_status_identifier":"u1","user_status_status_type":1,"user_status_custom_status":"hi","user_status_online_devices":["Linux"]}]}"#
        );
    }
}
