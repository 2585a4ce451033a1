//! Apps, accounts, sessions, subscriptions and friends: the user-status rules ([`App`], one place)
//! over one store interface ([`AppStore`]) with two implementations:
//! - [`embedded`] (the default): presence in memory, sharded per account (no global lock on the
//!   hot path); durable data in SQLite ([`durable`]) when a data directory is set;
//! - the crate's `cluster` module (`--redis`): everything in Redis, shared by the nodes of a
//!   cluster; it implements [`AppStore`] and builds its [`Store`] itself (`cluster::open`): the
//!   store never imports it.
//!
//! Both deliver pushes to this node's sessions through one [`Hub`].

mod account;
mod app;
pub mod durable;
mod embedded;
mod ending;
mod error;
mod fanout;
mod hub;
pub mod inspect;
pub mod live;
mod rate;
pub mod rules;

pub use app::{App, Login, Presence};
pub use ending::SessionEnd;
pub use error::{describe, StatusError};
pub use fanout::{
    frames as push_frames, Frame, Outbox, OutboxLimits, SessionCtl, SessionLink, StatusPush,
};
pub use hub::{Hub, HubSession};

use crate::config::{AppConfig, Config, Settings};
use async_trait::async_trait;
use durable::Db;
use live::{LiveConfig, Monitor};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Which rate window a call counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateOp {
    Get,
    Subscribe,
    Unsubscribe,
}

/// The storage of one app: the primitives the rules of [`App`] are made of. Arguments are checked
/// by [`App`] before they reach a store (ids valid and deduplicated, lengths within the limits).
/// A store error is a Tencent code ([`imsdk_protocol::code::STORE_UNAVAILABLE`] when the database
/// or Redis cannot be written: then nothing changed).
#[async_trait]
pub trait AppStore: Send + Sync {
    /// Imports accounts (idempotent).
    async fn import(&self, ids: &[String]) -> Result<(), StatusError>;
    /// Registers a session with its account and this node's hub, ending the sessions it displaces
    /// (same instance id; same platform under `one_per_platform`). 70107 if not imported.
    async fn login(&self, login: Login) -> Result<(), StatusError>;
    /// Removes a session (no-op if already displaced); the last one makes the account OFFLINE
    /// (`logged_out`: UNLOGINED), clears its custom status and starts its retention clock.
    async fn end_session(&self, user: &str, sid: u64, logged_out: bool);
    async fn set_custom_status(&self, user: &str, text: &str) -> Result<(), StatusError>;
    /// Status and session platforms of each id (None: not imported).
    async fn presence(&self, ids: &[&str]) -> Result<Vec<Option<Presence>>, StatusError>;
    /// Counts a call in the caller's window for `op`; false (not counted) when it is full.
    async fn count_call(&self, caller: &str, op: RateOp) -> Result<bool, StatusError>;
    /// Adds `ids` to the end of the caller's list, evicting the oldest above the cap; per id,
    /// whether it is an imported account.
    async fn subscribe(&self, caller: &str, ids: &[&str]) -> Result<Vec<bool>, StatusError>;
    /// Removes `ids` from the caller's list (None: all of it).
    async fn unsubscribe(&self, caller: &str, ids: Option<&[String]>) -> Result<(), StatusError>;
    /// Adds or removes `to` in `from`'s friend list (and the reverse when `both`). 70107 if
    /// either is not imported.
    async fn change_friendship(
        &self,
        from: &str,
        to: &str,
        both: bool,
        add: bool,
    ) -> Result<(), StatusError>;
    /// Page `page` (of `size`) of the sorted imported ids containing `filter`, and how many match.
    async fn account_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<(usize, Vec<String>), StatusError>;
    /// The account's friends (sorted) and subscriptions (oldest first).
    async fn lists(&self, id: &str) -> Result<(Vec<String>, Vec<String>), StatusError>;
    /// Up to `max` accounts ONLINE now, where the store knows without a query (cluster: none).
    fn online_ids(&self, max: usize) -> Vec<String>;
    /// Keeps the app's current settings (and, in a cluster, gives them to every node).
    async fn save_settings(&self) -> Result<(), StatusError>;
    /// Graceful stop of the node.
    async fn leave(&self);
    /// Whether the store answers now (`/readyz`).
    async fn reachable(&self) -> bool;
}

/// Why the store could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The data directory or its database (a configuration problem: exit status 2).
    Data(String),
    /// Redis could not be reached.
    Redis(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Data(e) => write!(f, "data directory: {e}"),
            OpenError::Redis(e) => write!(f, "{e}"),
        }
    }
}

/// All apps of the server. Built once at start; apps are never added later, so no lock.
pub struct Store {
    apps: HashMap<u64, Arc<App>>,
    db: Option<Arc<Db>>,
}

impl Store {
    /// Every app of the server over the stores of their own (the cluster's: `crate::cluster::open`).
    pub fn of_apps(apps: HashMap<u64, Arc<App>>) -> Store {
        Store { apps, db: None }
    }

    /// The embedded store, durable in `[server] data_dir` when set (the Redis store is
    /// `crate::cluster::open`). Must run inside a tokio runtime (retention timers).
    pub fn open_embedded(config: &Config) -> Result<Store, OpenError> {
        Store::open_data(config).map_err(OpenError::Data)
    }

    fn open_data(config: &Config) -> Result<Store, String> {
        // An empty directory name: in memory only, as with none (benchmarks, throwaway runs).
        let db = match config.server.data_dir.as_deref() {
            Some(dir) if !dir.is_empty() => Some(Arc::new(Db::open(Path::new(dir))?)),
            _ => None,
        };
        let old_state = match &config.server.state_file {
            Some(path) => crate::config::read_state_file(path)?,
            None => Default::default(),
        };
        let mut apps = HashMap::new();
        for cfg in &config.apps {
            let loaded = match &db {
                Some(db) => db.load(cfg.sdk_app_id)?,
                None => Default::default(),
            };
            let cfg = settled(cfg, loaded.settings.as_deref(), &old_state, &db, config)?;
            let (live, monitor, hub) = parts(cfg);
            let store = embedded::Embedded::open(&live, &monitor, &hub, db.clone(), loaded);
            apps.insert(
                live.get().sdk_app_id,
                Arc::new(App::new(live, monitor, store)),
            );
        }
        Ok(Store { apps, db })
    }

    pub fn app(&self, sdk_app_id: u64) -> Option<&Arc<App>> {
        self.apps.get(&sdk_app_id)
    }

    pub fn apps(&self) -> impl Iterator<Item = &Arc<App>> {
        self.apps.values()
    }

    /// The embedded store's database, if any (metrics).
    pub fn db(&self) -> Option<&Db> {
        self.db.as_deref()
    }

    /// Graceful stop: in cluster mode the node's sessions go OFFLINE now.
    pub async fn leave(&self) {
        for app in self.apps.values() {
            app.leave().await;
        }
    }
}

/// The shared parts of an app: its settings, activity monitor and this node's session hub.
pub fn parts(cfg: AppConfig) -> (Arc<LiveConfig>, Arc<Monitor>, Arc<Hub>) {
    (
        Arc::new(LiveConfig::new(cfg)),
        Arc::new(Monitor::default()),
        Arc::new(Hub::default()),
    )
}

/// The app's settings at start: the stored ones over the config's; without stored ones, those of
/// an old state file (then stored, once, and said in the log).
fn settled(
    cfg: &AppConfig,
    stored: Option<&str>,
    old_state: &std::collections::BTreeMap<String, Settings>,
    db: &Option<Arc<Db>>,
    config: &Config,
) -> Result<AppConfig, String> {
    if let Some(json) = stored {
        let saved: Settings =
            serde_json::from_str(json).map_err(|e| format!("stored settings: {e}"))?;
        return saved
            .apply(cfg)
            .map_err(|e| format!("stored settings: {e}"));
    }
    let Some(saved) = old_state.get(&cfg.sdk_app_id.to_string()) else {
        return Ok(cfg.clone());
    };
    let path = config.server.state_file.as_deref().unwrap_or_default();
    let applied = saved
        .clone()
        .apply(cfg)
        .map_err(|e| format!("state file {path}: {e}"))?;
    if let Some(db) = db {
        let json = serde_json::to_string(&Settings::of(&applied)).map_err(|e| e.to_string())?;
        db.write_blocking(durable::Op::Settings {
            app: cfg.sdk_app_id,
            json,
        })?;
        tracing::info!(
            "app {}: settings read from the state file {path}, now kept in {}",
            cfg.sdk_app_id,
            db.path().display()
        );
    }
    Ok(applied)
}

/// Locks a mutex, ignoring poisoning: state stays usable even if a thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    imsdk_usersig::unix_now()
}

/// Milliseconds since the Unix epoch.
pub fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
