//! Settings and activity an operator can watch and change while the server runs (the console).
//!
//! [`LiveConfig`]: the app's settings, read per call (an `Arc` clone under a short read lock, never
//! held across a call) and swapped whole by the console, so a change takes effect at once.
//! [`Monitor`]: status changes and notification counts, pushed to the console's live view.

use crate::config::AppConfig;
use imsdk_protocol::{UserStatus, UserStatusType};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use tokio::sync::broadcast;

pub struct LiveConfig(RwLock<Arc<AppConfig>>);

impl LiveConfig {
    pub fn new(cfg: AppConfig) -> LiveConfig {
        LiveConfig(RwLock::new(Arc::new(cfg)))
    }

    /// The settings now.
    pub fn get(&self) -> Arc<AppConfig> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the settings; calls that start afterwards see the new ones.
    pub fn set(&self, cfg: AppConfig) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(cfg);
    }
}

/// One app's activity as the console's live view sees it.
pub struct Monitor {
    changes: broadcast::Sender<UserStatus>,
    /// Status-change frames delivered so far (to the account's own sessions and its listeners).
    notifications: AtomicU64,
    /// Accounts whose status is ONLINE now (in-memory store only: a cluster node does not see the
    /// status before a published change).
    online: AtomicI64,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor {
            changes: broadcast::channel(1024).0,
            notifications: AtomicU64::new(0),
            online: AtomicI64::new(0),
        }
    }
}

impl Monitor {
    /// Records a status change (`before` None: unknown, cluster mode) and the number of frames it
    /// was delivered as.
    pub fn changed(&self, before: Option<&UserStatus>, after: &UserStatus, frames: u64) {
        let online = |s: &UserStatus| s.user_status_status_type == UserStatusType::Online;
        match before.map(|b| (online(b), online(after))) {
            Some((false, true)) => self.online.fetch_add(1, Ordering::Relaxed),
            Some((true, false)) => self.online.fetch_sub(1, Ordering::Relaxed),
            _ => 0,
        };
        self.notifications.fetch_add(frames, Ordering::Relaxed);
        // No receiver (no console open) is not an error.
        let _ = self.changes.send(after.clone());
    }

    /// Status changes from now on; a receiver that falls behind skips ahead (`Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<UserStatus> {
        self.changes.subscribe()
    }

    pub fn notifications(&self) -> u64 {
        self.notifications.load(Ordering::Relaxed)
    }

    pub fn online_accounts(&self) -> u64 {
        self.online.load(Ordering::Relaxed).max(0) as u64
    }
}
