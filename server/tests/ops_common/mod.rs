//! Helpers of the operations tests: a real webhook receiver, HTTP GETs, metric values.
#![allow(dead_code)]

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

static SPAWNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The `imsdk-server` binary, running; killed when dropped. Its stderr (the logs) is collected.
pub struct Process {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    /// Starts the binary with `args` and `env`, and reads stdout up to the listening line.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Process {
        use std::io::{BufRead, BufReader, Read};
        use std::process::{Command, Stdio};
        // A fresh data directory unless `env` names one (the default is ./imsdk-data).
        let data = std::env::temp_dir().join(format!(
            "imsdk-ops-{}-{}",
            std::process::id(),
            SPAWNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_imsdk-server"))
            .env("IMSDK_DATA_DIR", &data)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn imsdk-server");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = std::sync::Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("no listening line; stderr: {}", stderr.lock().unwrap()))
                .expect("stdout line");
            if let Some(addr) = line.strip_prefix("imsdk-server listening on ") {
                break addr.parse().expect("address");
            }
        };
        // Keep stdout drained so the child never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Process {
            child,
            addr,
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Sends SIGTERM and waits for the exit (at most `bound`): exit code and how long it took.
    pub fn terminate(&mut self, bound: Duration) -> (Option<i32>, Duration) {
        let started = std::time::Instant::now();
        let pid = self.child.id().to_string();
        let term_pid = pid.clone();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &term_pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        // Bounded: a watchdog kills the process if it outlives `bound` (then the assert fails).
        let (exited_tx, exited_rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if exited_rx.recv_timeout(bound).is_err() {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid])
                    .status();
            }
        });
        let status = self.child.wait().expect("wait");
        let took = started.elapsed();
        let _ = exited_tx.send(());
        assert!(took < bound, "no exit within {bound:?}");
        (status.code(), took)
    }

    /// Everything the process wrote to stderr; call after it exited.
    pub fn logs(&mut self) -> String {
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
