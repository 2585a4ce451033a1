//! Helpers of the operations tests: a real webhook receiver, HTTP GETs, metric values.
#![allow(dead_code)]

use axum::extract::{Query, State};
use axum::routing::post;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
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
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/cb",
            post(
                |State((tx, hang)): State<(mpsc::UnboundedSender<Call>, bool)>,
                 Query(query): Query<HashMap<String, String>>,
                 body: String| async move {
                    let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let _ = tx.send(Call { query, body });
                    if hang {
                        std::future::pending::<()>().await;
                    }
                    r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
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

/// `GET http://addr/path`: status and body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let resp = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("GET");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// The value of one sample (`name{labels}` exactly as rendered) in a Prometheus text page; 0 if absent.
pub fn metric(page: &str, sample: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}
