//! Cluster mode operations: `/readyz` follows the Redis connection; Redis failures are counted.

mod cluster_common;
mod common;
mod ops_common;

use cluster_common::{node_config, start_node, Redis};
use common::{Client, WAIT};
use ops_common::{get, metric};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Polls `/readyz` until it answers `want` (bounded by WAIT); the first answer that matched.
async fn readyz_becomes(addr: SocketAddr, want: u16) -> (u16, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = get(addr, "/readyz").await;
        if got.0 == want {
            return got;
        }
        assert!(Instant::now() < deadline, "/readyz still {got:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_redis_and_its_errors_are_counted() {
    let mut redis = Redis::start();
    let node = start_node(&node_config(&redis, 1500, |_| {}));
    let addr = node.addr();
    assert_eq!(get(addr, "/readyz").await, (200, "ready\n".into()));
    let mut alice = Client::login(addr, "alice", "Windows", "pc").await;

    redis.kill();
    let (_, why) = readyz_becomes(addr, 503).await;
    assert_eq!(why, "store unreachable\n");
    assert_eq!(get(addr, "/healthz").await.0, 200, "the process is up");
    let code = alice.set_status(Some("x")).await.code;
    assert_eq!(code, imsdk_protocol::code::STORE_UNAVAILABLE);
    let (_, page) = get(addr, "/metrics").await;
    assert!(metric(&page, "imsdk_redis_errors_total") >= 1.0, "{page}");

    redis.restart();
    readyz_becomes(addr, 200).await;
}
