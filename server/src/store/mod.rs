//! In-memory state: apps, accounts, sessions, subscriptions and friends, and the user-status rules
//! that change them. Sharded per account (a `DashMap` of accounts, one lock per account): no global
//! lock on the hot path. In cluster mode ([`crate::cluster`]) [`Backend`] puts the Redis store behind
//! the same calls.

mod account;
mod app;
mod backend;
mod fanout;
pub mod inspect;
pub mod live;
mod rate;
pub mod rules;

pub use account::Account;
pub use app::{App, FailedIds, Login};
pub use backend::{Backend, Presence};
pub use fanout::{EndReason, Frame, SessionCtl, SessionLink};

use crate::config::Config;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// All apps of the server. Built once at start; apps are never added later, so no lock.
pub struct Store {
    apps: HashMap<u64, Backend>,
}

impl Store {
    pub fn new(config: &Config) -> Store {
        let apps = config
            .apps
            .iter()
            .map(|a| (a.sdk_app_id, Backend::Local(Arc::new(App::new(a.clone())))))
            .collect();
        Store { apps }
    }

    /// The in-memory store, or with `[server] redis` set, every app on the shared Redis store
    /// (connected and registered before this returns).
    pub async fn open(config: &Config) -> Result<Store, String> {
        if config.server.redis.is_none() {
            return Ok(Store::new(config));
        }
        let mut apps = HashMap::new();
        for cfg in &config.apps {
            let app = crate::cluster::ClusterApp::connect(cfg.clone(), &config.server).await?;
            apps.insert(cfg.sdk_app_id, Backend::Cluster(app));
        }
        Ok(Store { apps })
    }

    pub fn app(&self, sdk_app_id: u64) -> Option<&Backend> {
        self.apps.get(&sdk_app_id)
    }

    pub fn apps(&self) -> impl Iterator<Item = &Backend> {
        self.apps.values()
    }

    /// Graceful stop: in cluster mode the node's sessions go OFFLINE now.
    pub async fn leave(&self) {
        for app in self.apps.values() {
            app.leave().await;
        }
    }
}

/// Tencent's identifier rule (7003): 1 to 32 bytes of printable ASCII (0x20-0x7e).
pub fn valid_user_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= imsdk_protocol::MAX_USER_ID_BYTES
        && id.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Locks a mutex, ignoring poisoning: state stays usable even if a thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    imsdk_usersig::unix_now()
}
