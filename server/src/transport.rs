//! HTTP and WebSocket on one port: `/ws` upgrades to a session, `/v4/...` is the admin REST API.

use crate::config::{Config, ServerSettings};
use crate::conn::Conn;
use crate::store::Store;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// State shared by every connection.
pub struct Shared {
    pub store: Store,
    pub settings: ServerSettings,
    /// Per-address connection cap and login-failure back-off.
    pub guard: Arc<crate::guard::Guard>,
    /// Turns true when a graceful shutdown starts.
    pub shutdown: watch::Receiver<bool>,
    /// Metrics, webhooks, readiness.
    pub ops: Arc<crate::ops::Ops>,
    /// Random per process: UserSigs of unknown apps are checked against it (and always fail).
    pub unknown_app_key: String,
    /// Live WebSocket sessions; `idle` is notified when it drops to zero.
    sessions: AtomicUsize,
    idle: Notify,
    next_sid: AtomicU64,
}

impl Shared {
    pub fn new(config: &Config, store: Store, shutdown: watch::Receiver<bool>) -> Shared {
        let ops = Arc::new(crate::ops::Ops::start(config, store.db()));
        Shared {
            store,
            settings: config.server.clone(),
            guard: {
                let guard = Arc::new(crate::guard::Guard::new(&config.server));
                guard.start_pruning();
                guard
            },
            shutdown,
            ops,
            unknown_app_key: crate::console::random_token(),
            sessions: AtomicUsize::new(0),
            idle: Notify::new(),
            next_sid: AtomicU64::new(1),
        }
    }

    /// Live WebSocket sessions, all apps.
    pub fn session_count(&self) -> usize {
        self.sessions.load(Ordering::Relaxed)
    }

    pub fn next_sid(&self) -> u64 {
        self.next_sid.fetch_add(1, Ordering::Relaxed)
    }

    /// Waits until no session is left.
    pub async fn sessions_done(&self) {
        until_zero(&self.sessions, &self.idle).await
    }
}

/// Waits until `count` is 0; whoever brings it to 0 calls `idle.notify_waiters()`.
pub async fn until_zero(count: &AtomicUsize, idle: &Notify) {
    loop {
        let notified = idle.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if count.load(Ordering::Acquire) == 0 {
            return;
        }
        notified.await;
    }
}

/// Completes when a graceful shutdown starts; never if the server is killed instead.
pub async fn shutting_down(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    let deadline = Duration::from_secs(shared.settings.request_timeout_s);
    Router::new()
        .route(imsdk_protocol::WS_PATH, get(upgrade))
        .route(
            "/v4/{service}/{command}",
            post(crate::rest::handle)
                .layer(crate::rest::body_limit())
                .layer(axum::middleware::from_fn(move |req, next| {
                    within(deadline, req, next)
                })),
        )
        .merge(crate::ops::routes(shared.settings.metrics_listen.is_some()))
        .merge(crate::console::router(Arc::clone(&shared)))
        .fallback(crate::rest::not_found)
        .with_state(shared)
}

/// Answers 408 when a request (reading its body included) takes longer than `deadline`: a client
/// that trickles its body cannot hold a connection and a task for long.
pub async fn within(
    deadline: Duration,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request took too long\n").into_response(),
    }
}

/// Counts a live session; dropping it releases the slot.
struct SessionSlot {
    shared: Arc<Shared>,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        if self.shared.sessions.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.idle.notify_waiters();
        }
    }
}

/// Written bytes buffered until a flush (tungstenite needs the cap above it).
const WRITE_BATCH_BYTES: usize = 8 * 1024;

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(conn_slot): Extension<Arc<crate::accept::ConnSlot>>,
    ws: WebSocketUpgrade,
) -> Response {
    let slot = SessionSlot {
        shared: Arc::clone(&shared),
    };
    if shared.sessions.fetch_add(1, Ordering::AcqRel) >= shared.settings.max_connections {
        drop(slot);
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    }
    let max = shared.settings.max_frame_bytes;
    // Small buffers: an idle session must stay within a few KiB (100k sessions per node). Reads
    // come in 1 KiB chunks (client frames are small; bigger ones just take more reads).
    ws.read_buffer_size(1024)
        // Frames are written when flushed (or past 8 KiB): a batch of queued pushes leaves in one
        // write. The buffer is an empty Vec until used, so idle sessions pay nothing.
        .write_buffer_size(WRITE_BATCH_BYTES)
        .max_write_buffer_size(WRITE_BATCH_BYTES + max * 2)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            let shared = Arc::clone(&slot.shared);
            crate::session::serve(Conn::new(socket), shared, peer.ip()).await;
            // The connection's places (its address's, the total) are held for the session.
            drop((slot, conn_slot));
        })
}
