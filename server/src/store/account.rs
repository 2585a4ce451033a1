//! One imported account: its sessions, custom status, subscriptions and friends.
//!
//! Lock order: `sub_ops` (one account's subscription change, held across its durable write)
//! before any `state`; `state` may be held while taking the hub's shard locks (leaf locks, never
//! held while taking anything else). Two `state` locks are never held at once.

use super::lock;
use super::rate::RateWindow;
use imsdk_protocol::{UserStatus, UserStatusType};
use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

pub struct Account {
    pub id: String,
    state: Mutex<AccountState>,
    /// Serialises this account's subscription changes across their steps (durable write, own
    /// list, then the targets' subscriber sets). Taken before, never while holding, any `state`.
    sub_ops: tokio::sync::Mutex<()>,
}

/// What the account keeps of how its last session ended ([`super::SessionEnd`] reduced to what
/// its status needs: a logout, or any other end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastEnd {
    /// Never logged in, or the last session logged out: UNLOGINED.
    LoggedOut,
    /// The last session was lost without logout: OFFLINE.
    Disconnected,
}

/// One online session of the account (who it is for metrics and webhooks: `ops::events::SessionInfo`).
#[derive(Debug, Clone)]
pub struct OpenSession {
    pub sid: u64,
    pub platform: String,
    pub instance_id: String,
}

/// Rate windows per limited operation.
#[derive(Debug, Default)]
pub struct Rates {
    pub get: RateWindow,
    pub subscribe: RateWindow,
    pub unsubscribe: RateWindow,
}

#[derive(Debug)]
pub struct AccountState {
    pub sessions: Vec<OpenSession>,
    pub last_end: LastEnd,
    pub custom_status: String,
    /// Users this account subscribed to, oldest first.
    pub subscriptions: Vec<String>,
    /// Users subscribed to this account (reverse index of their `subscriptions`).
    pub subscribers: HashSet<String>,
    /// This account's friend list.
    pub friends: HashSet<String>,
    /// Users whose friend list holds this account (they hear its changes when the friend switch is on).
    pub friend_of: HashSet<String>,
    /// Bumped whenever the account goes OFFLINE/UNLOGINED; a retention timer acts only if unchanged.
    pub offline_gen: u64,
    pub rates: Rates,
}

impl AccountState {
    /// The account's status as Tencent reports it.
    pub fn status(&self, id: &str) -> UserStatus {
        let status_type = match (self.sessions.is_empty(), self.last_end) {
            (false, _) => UserStatusType::Online,
            (true, LastEnd::Disconnected) => UserStatusType::Offline,
            (true, LastEnd::LoggedOut) => UserStatusType::UnLogined,
        };
        let mut devices: Vec<String> = Vec::new();
        for s in &self.sessions {
            if !devices.contains(&s.platform) {
                devices.push(s.platform.clone());
            }
        }
        UserStatus {
            user_status_identifier: id.to_owned(),
            user_status_status_type: status_type,
            user_status_custom_status: self.custom_status.clone(),
            user_status_online_devices: devices,
        }
    }
}

impl Account {
    pub fn new(id: String) -> Account {
        Account {
            id,
            state: Mutex::new(AccountState {
                sessions: Vec::new(),
                last_end: LastEnd::LoggedOut,
                custom_status: String::new(),
                subscriptions: Vec::new(),
                subscribers: HashSet::new(),
                friends: HashSet::new(),
                friend_of: HashSet::new(),
                offline_gen: 0,
                rates: Rates::default(),
            }),
            sub_ops: tokio::sync::Mutex::new(()),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, AccountState> {
        lock(&self.state)
    }

    /// Held for the whole of a subscription change of this account.
    pub async fn subscription_change(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.sub_ops.lock().await
    }

    pub fn status(&self) -> UserStatus {
        self.state().status(&self.id)
    }
}
