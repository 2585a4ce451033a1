//! The whole server's state, shared by every connection and every handler: the store, the
//! settings, the guard, operations (metrics, webhooks) and the live WebSocket sessions. The bottom
//! of the handler layer: `session`, `rest`, `console` and the transport above them see the server
//! through it; it imports only what is below it (`ops`, `guard`, `store`, `config`).

use crate::config::{Config, ServerSettings};
use crate::guard::Guard;
use crate::ops::Ops;
use crate::store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

/// State shared by every connection.
pub struct ServerState {
    pub store: Store,
    pub settings: ServerSettings,
    /// Per-address connection cap and login-failure back-off.
    pub guard: Arc<Guard>,
    /// Turns true when a graceful shutdown starts.
    pub shutdown: watch::Receiver<bool>,
    /// Metrics, webhooks, readiness.
    pub ops: Arc<Ops>,
    /// Random per process: UserSigs of unknown apps are checked against it (and always fail).
    pub unknown_app_key: String,
    /// Live WebSocket sessions: one token each, counted for the cap and waited for at shutdown.
    sessions: TaskTracker,
    next_sid: AtomicU64,
}

impl ServerState {
    pub fn new(config: &Config, store: Store, shutdown: watch::Receiver<bool>) -> ServerState {
        let ops = Arc::new(Ops::start(config, &store));
        ServerState {
            store,
            settings: config.server.clone(),
            guard: {
                let guard = Arc::new(Guard::new(&config.server));
                guard.start_pruning();
                guard
            },
            shutdown,
            ops,
            unknown_app_key: random_token(),
            sessions: TaskTracker::new(),
            next_sid: AtomicU64::new(1),
        }
    }

    /// A place for one more WebSocket session (dropping it frees the place); None when
    /// `max_connections` sessions are live.
    pub fn session_slot(&self) -> Option<TaskTrackerToken> {
        let slot = self.sessions.token();
        (self.sessions.len() <= self.settings.max_connections).then_some(slot)
    }

    /// Live WebSocket sessions, all apps.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    pub fn next_sid(&self) -> u64 {
        self.next_sid.fetch_add(1, Ordering::Relaxed)
    }

    /// Waits until no session is left (at shutdown).
    pub async fn sessions_done(&self) {
        self.sessions.close();
        self.sessions.wait().await
    }
}

/// Completes when a graceful shutdown starts; never if the server is killed instead.
pub async fn shutting_down(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// 32 random bytes from the OS, as hex: console session tokens and per-process keys.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS generator does not fail on supported platforms; a failure leaves a fixed value,
    // which is refused below rather than used.
    if getrandom::fill(&mut bytes).is_err() || bytes == [0u8; 32] {
        panic!("no randomness from the operating system");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
