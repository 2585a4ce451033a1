//! Reconnect storm: 5,000 sessions (each subscribed to the next) drop their TCP connections at
//! once and all come back at once, logging in again and re-subscribing as the library does. The
//! server stays responsive (a probe's heartbeat round trips are measured throughout) and every
//! session ends ONLINE with the right subscription. `IMSDK_STORM_SESSIONS` changes the count.

mod common;
use common::*;
use futures_util::stream::{self, StreamExt};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sessions() -> usize {
    std::env::var("IMSDK_STORM_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

fn user(i: usize) -> String {
    format!("u{i}")
}

/// Logs `i` in (same instance id every time) and subscribes it to the next user.
async fn connect(addr: std::net::SocketAddr, i: usize, n: usize) -> Client {
    let me = user(i);
    let mut c = Client::login(addr, &me, "Android", &format!("phone-{i}")).await;
    let next = user((i + 1) % n);
    assert_eq!(c.subscribe(&[next.as_str()]).await.code, 0);
    c
}

/// Connects every session, at most `parallel` handshakes at a time.
async fn connect_all(addr: std::net::SocketAddr, n: usize, parallel: usize) -> Vec<Client> {
    let mut clients: Vec<(usize, Client)> = stream::iter(0..n)
        .map(|i| async move { (i, connect(addr, i, n).await) })
        .buffer_unordered(parallel)
        .collect()
        .await;
    clients.sort_by_key(|(i, _)| *i);
    clients.into_iter().map(|(_, c)| c).collect()
}

fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX)
}

#[tokio::test(flavor = "multi_thread")]
async fn five_thousand_sessions_drop_and_return_at_once() {
    let n = sessions();
    assert!(
        open_files_limit() > 2 * n + 200,
        "raise the open files limit (ulimit -n) above {} for {n} sessions",
        2 * n + 200
    );
    let mut accounts: Vec<String> = (0..n).map(user).collect();
    accounts.push("probe".into());
    let mut cfg = config(|a| a.accounts = accounts);
    cfg.server.login_timeout_s = 60;
    let server = start(cfg);
    let addr = server.addr();
    let clients = connect_all(addr, n, 256).await;

    // A probe heartbeats throughout and records its worst round trip.
    let storming = Arc::new(AtomicBool::new(true));
    let probe = {
        let storming = Arc::clone(&storming);
        tokio::spawn(async move {
            let mut p = Client::login(addr, "probe", "Linux", "probe").await;
            let (mut worst, mut beats) = (Duration::ZERO, 0u32);
            while storming.load(Ordering::SeqCst) {
                let t = Instant::now();
                assert_eq!(p.heartbeat().await.code, 0);
                worst = worst.max(t.elapsed());
                beats += 1;
            }
            (worst, beats)
        })
    };

    // The storm: every connection drops at once, then every session returns at once.
    let started = Instant::now();
    for c in clients {
        c.drop_tcp();
    }
    let mut clients = connect_all(addr, n, 1024).await;
    let back_in = started.elapsed();
    storming.store(false, Ordering::SeqCst);
    let (worst_heartbeat, beats) = probe.await.expect("probe");

    // Every session is ONLINE (asked through the admin REST API, 500 ids a call).
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let ids: Vec<String> = chunk.iter().map(|i| user(*i)).collect();
        let answer = rest(
            addr,
            "/v4/openim/query_online_status",
            &json!({ "To_Account": ids }),
        )
        .await;
        let results = answer["QueryResult"].as_array().expect("QueryResult");
        assert_eq!(results.len(), chunk.len(), "{answer}");
        for r in results {
            assert_eq!(r["Status"], "Online", "{r}");
        }
    }
    // And every session hears the one it follows: each sets a status, each waits for its next's.
    stream::iter(clients.iter_mut().enumerate())
        .for_each_concurrent(512, |(i, c)| async move {
            assert_eq!(c.set_status(Some(&format!("back {i}"))).await.code, 0);
        })
        .await;
    stream::iter(clients.iter_mut().enumerate())
        .for_each_concurrent(512, |(i, c)| async move {
            let next = user((i + 1) % n);
            let want = format!("back {}", (i + 1) % n);
            loop {
                let s = c.next_status_of(&next).await;
                if s.user_status_custom_status == want {
                    break;
                }
            }
        })
        .await;
    println!(
        "FIGURES: {n} sessions dropped and back (logged in and re-subscribed) in {back_in:?}; \
         probe's worst heartbeat round trip during the storm {worst_heartbeat:?} ({beats} beats)"
    );
    assert!(
        worst_heartbeat < Duration::from_secs(2),
        "the server stays responsive: {worst_heartbeat:?}"
    );
    assert!(beats > 1);
}
