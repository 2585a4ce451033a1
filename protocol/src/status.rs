use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Tencent's `TIMUserStatusType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u32)]
pub enum UserStatusType {
    #[default]
    Unknown = 0,
    Online = 1,
    Offline = 2,
    UnLogined = 3,
}

impl UserStatusType {
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => Self::Unknown,
            1 => Self::Online,
            2 => Self::Offline,
            3 => Self::UnLogined,
            _ => return None,
        })
    }
}

impl Serialize for UserStatusType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(*self as u32)
    }
}

impl<'de> Deserialize<'de> for UserStatusType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u32::deserialize(d)?;
        Self::from_u32(v)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown user status type {v}")))
    }
}

/// One user's status, with Tencent's JSON keys (`TIMUserStatus`). This exact object is what the
/// library hands to `TIMGetUserStatus` callbacks and `TIMUserStatusChangedCallback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UserStatus {
    pub user_status_identifier: String,
    pub user_status_status_type: UserStatusType,
    #[serde(default)]
    pub user_status_custom_status: String,
    /// Platforms of the account's online sessions, for example `["Android","Windows"]`.
    #[serde(default)]
    pub user_status_online_devices: Vec<String>,
}
