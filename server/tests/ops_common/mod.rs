//! Helpers of the operations tests: a real webhook receiver, metric values, the server binary (from
//! the test kit) on a fresh data directory.
#![allow(dead_code, unused_imports)]

pub use imsdk_testkit::http::get;
use imsdk_testkit::process::ServerCommand;
pub use imsdk_testkit::process::ServerProcess;

use axum::extract::{Query, State};
use axum::routing::post;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// One callback the receiver got.
#[derive(Debug)]
pub struct Call {
    pub query: HashMap<String, String>,
    pub body: Value,
}

/// An HTTP server on 127.0.0.1:0 answering `POST /cb` with Tencent's OK (or, with `hang`, never);
/// every call is sent on the returned channel.
pub async fn receiver(hang: bool) -> (String, mpsc::UnboundedReceiver<Call>) {
    receiver_failing(hang, 0).await
}

/// The same, answering HTTP 500 to the first `fail_first` calls.
pub async fn receiver_failing(
    hang: bool,
    fail_first: usize,
) -> (String, mpsc::UnboundedReceiver<Call>) {
    use axum::http::StatusCode;
    let (tx, rx) = mpsc::unbounded_channel();
    let failures = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(fail_first));
    let app = axum::Router::new()
        .route(
            "/cb",
            post(
                move |State((tx, hang)): State<(mpsc::UnboundedSender<Call>, bool)>,
                      Query(query): Query<HashMap<String, String>>,
                      body: String| async move {
                    let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let _ = tx.send(Call { query, body });
                    if hang {
                        std::future::pending::<()>().await;
                    }
                    let fail = failures
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if fail {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    };
                    (
                        status,
                        r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#,
                    )
                },
            ),
        )
        .with_state((tx, hang));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/cb"), rx)
}

/// The next call, within `wait`.
pub async fn next_call(rx: &mut mpsc::UnboundedReceiver<Call>, wait: Duration) -> Call {
    tokio::time::timeout(wait, rx.recv())
        .await
        .expect("a webhook call in time")
        .expect("receiver alive")
}

/// The value of one sample (`name{labels}` exactly as rendered) in a Prometheus text page; 0 if absent.
pub fn metric(page: &str, sample: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

/// A receiver whose handler waits `delay` before answering OK; `done` counts the answered calls
/// (a call whose client went away before the answer never counts).
pub async fn slow_receiver(
    delay: Duration,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let done = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/cb",
            post(move |State(done): State<Arc<AtomicUsize>>| async move {
                tokio::time::sleep(delay).await;
                done.fetch_add(1, Ordering::SeqCst);
                r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
            }),
        )
        .with_state(Arc::clone(&done));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/cb"), done)
}

/// The `imsdk-server` binary with `args` and `env`, running on a fresh data directory unless `env`
/// names one (the default is ./imsdk-data); its stderr (the logs) is collected.
pub fn spawn_server(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
    let mut cmd = ServerCommand::new(env!("CARGO_BIN_EXE_imsdk-server"))
        .fresh_data_dir()
        .args(args)
        .capture_stderr();
    for (key, value) in env {
        cmd = cmd.env(key, value);
    }
    cmd.spawn()
}
