//! The live view: Server-Sent Events with a snapshot of who is online, each status change as it
//! happens, and once a second the counts (sessions, online accounts, notifications in that second).

use super::auth::{SignedIn, StreamSlot, STREAMS_PER_SESSION};
use super::Console;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// Most ids in the snapshot of who is online.
const SNAPSHOT_MAX: usize = 1000;

/// The stream checks its session before every event: it ends once the session signed out or
/// expired. A session holds at most a few streams (429 beyond).
pub async fn stream(
    State(console): State<Arc<Console>>,
    SignedIn(app): SignedIn,
    headers: HeaderMap,
) -> Response {
    let slot = super::auth::token(&headers).and_then(|t| StreamSlot::take(&console, t));
    let Some(slot) = slot else {
        return super::ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {STREAMS_PER_SESSION} live streams per session"),
        )
        .into_response();
    };
    let (tx, rx) = mpsc::channel::<Event>(256);
    let mut changes = app.monitor().subscribe();
    tokio::spawn(async move {
        let event = |name: &str, data: serde_json::Value| {
            Event::default().event(name).data(data.to_string())
        };
        let snapshot = json!({"online": app.online_ids(SNAPSHOT_MAX)});
        if tx.send(event("snapshot", snapshot)).await.is_err() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last = app.monitor().notifications();
        // A graceful shutdown ends the stream (else its open response would hold the server up).
        let mut stop = console.shared.shutdown.clone();
        loop {
            let next = tokio::select! {
                _ = tx.closed() => return,
                _ = crate::state::shutting_down(&mut stop) => return,
                _ = tick.tick() => {
                    let now = app.monitor().notifications();
                    let counts = json!({
                        "sessions": console.shared.session_count(),
                        "online": app.monitor().online_accounts(),
                        "notifications": now - last,
                    });
                    last = now;
                    event("tick", counts)
                }
                change = changes.recv() => match change {
                    Ok(status) => event("status", json!(status)),
                    // Fell behind: the page asks for a fresh snapshot.
                    Err(RecvError::Lagged(_)) => event("lagged", json!({})),
                    Err(RecvError::Closed) => return,
                },
            };
            if !slot.live() || tx.send(next).await.is_err() {
                return;
            }
        }
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
