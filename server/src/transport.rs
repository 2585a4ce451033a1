//! HTTP and WebSocket on one port: `/ws` upgrades to a session, `/v4/...` is the admin REST API.

use crate::conn::Conn;
use crate::state::ServerState;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub fn router(shared: Arc<ServerState>) -> Router {
    let deadline = Duration::from_secs(shared.settings.request_timeout_s);
    Router::new()
        .route(imsdk_protocol::WS_PATH, get(upgrade))
        .route(
            "/v4/{service}/{command}",
            post(crate::rest::handle)
                .layer(crate::rest::body_limit())
                .layer(axum::middleware::from_fn(move |req, next| {
                    crate::guard::within(deadline, req, next)
                })),
        )
        .merge(crate::ops::routes(
            Arc::clone(&shared.ops),
            shared.settings.metrics_listen.is_some(),
        ))
        .merge(crate::console::router(Arc::clone(&shared)))
        .fallback(crate::rest::not_found)
        .with_state(shared)
}

/// Written bytes buffered until a flush (tungstenite needs the cap above it).
const WRITE_BATCH_BYTES: usize = 8 * 1024;

async fn upgrade(
    State(shared): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(conn_slot): Extension<Arc<crate::accept::ConnSlot>>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(slot) = shared.session_slot() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    };
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
            crate::session::serve(Conn::new(socket), shared, peer.ip()).await;
            // The connection's places (its address's, the total) are held for the session.
            drop((slot, conn_slot));
        })
}
