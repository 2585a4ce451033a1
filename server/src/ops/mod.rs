//! Operating the server (`docs/OPERATIONS.md`): state-change webhooks, Prometheus metrics, health
//! and readiness, logs and TLS.

pub mod events;
pub mod logging;
pub mod metrics;
pub mod tls;
pub mod webhook;

use crate::config::Config;
use crate::store::{App, Store};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The operations side of one running server.
pub struct Ops {
    pub metrics: Arc<metrics::Metrics>,
    pub webhooks: webhook::Webhooks,
    /// False once a graceful shutdown began.
    accepting: AtomicBool,
    /// An app whose store readiness checks (all apps share one store).
    probe_app: Option<Arc<App>>,
    /// `[server] metrics_token`: `/metrics` only to `Authorization: Bearer <token>`.
    metrics_token: Option<String>,
}

impl Ops {
    /// Starts the webhook task (call inside the server's runtime). `/metrics` reports the writes
    /// and size of the embedded store's database, if any.
    pub fn start(config: &Config, store: &Store) -> Ops {
        let metrics = Arc::new(metrics::Metrics::with_store(store.db()));
        let webhooks = webhook::Webhooks::start(&config.server, Arc::clone(&metrics));
        Ops {
            metrics,
            webhooks,
            accepting: AtomicBool::new(true),
            probe_app: config
                .apps
                .first()
                .and_then(|a| store.app(a.sdk_app_id))
                .cloned(),
            metrics_token: config.server.metrics_token.clone(),
        }
    }

    /// Readiness turns false: load balancers stop sending new clients.
    pub fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::Release);
    }
}

/// `GET /healthz`, `/readyz`, and `/metrics` unless `[server] metrics_listen` serves it on an
/// address of its own ([`metrics_routes`]).
pub fn routes<S: Clone + Send + Sync + 'static>(
    ops: Arc<Ops>,
    metrics_elsewhere: bool,
) -> Router<S> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz));
    match metrics_elsewhere {
        true => router,
        false => router.route("/metrics", get(metrics_text)),
    }
    .with_state(ops)
}

/// What `[server] metrics_listen` serves: `/metrics`, `/healthz`, `/readyz`.
pub fn metrics_routes(ops: Arc<Ops>) -> Router {
    routes(ops, false)
}

/// 200 while accepting sessions and the store answers; 503 while shutting down or while the
/// shared store (Redis) is unreachable.
async fn readyz(State(ops): State<Arc<Ops>>) -> Response {
    if !ops.accepting.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let store_ok = match &ops.probe_app {
        Some(app) => app.reachable().await,
        _ => true,
    };
    if !store_ok {
        return (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response();
    }
    "ready\n".into_response()
}

/// With `[server] metrics_token`, only to `Authorization: Bearer <token>`.
async fn metrics_text(State(ops): State<Arc<Ops>>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = &ops.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            token.as_bytes(),
        )) {
            return (StatusCode::UNAUTHORIZED, "metrics need the bearer token\n").into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        ops.metrics.render(),
    )
        .into_response()
}
