//! Server lifecycle and per-session queues: graceful shutdown, kill, slow consumers.

mod common;
use common::*;
use imsdk_protocol::{close, ClientFrame};
use imsdk_server::ServerHandle;

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_closes_sessions_with_1001() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    let mut fresh = Client::connect(server.addr()).await;
    let stopper = tokio::task::spawn_blocking(move || server.shutdown());
    assert_eq!(a.end().await, End::Close(close::GOING_AWAY));
    assert_eq!(
        fresh.end().await,
        End::Close(close::GOING_AWAY),
        "not yet logged in: same"
    );
    stopper.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_drops_connections_without_close_frames_and_frees_the_port() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let mut a = Client::login(addr, "alice", "Linux", "a").await;
    tokio::task::spawn_blocking(move || server.kill())
        .await
        .unwrap();
    assert_eq!(a.end().await, End::NoCloseFrame);
    // A new server binds the very same address at once.
    let again = ServerHandle::start(config(|_| {}), addr).expect("same port free after kill");
    let mut b = Client::login(again.addr(), "bob", "Linux", "b").await;
    assert_eq!(b.heartbeat().await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_stops_reading_is_closed_with_4003_and_others_go_on() {
    let server = start(
        config(|_| {})
            .with_send_buffer(8192)
            .with_slow_consumer_timeout(500),
    );
    let addr = server.addr();
    let mut slow = Client::login_small_window(addr, "dave").await;
    assert_eq!(slow.subscribe(&["alice"]).await.code, 0);
    let mut a = Client::login(addr, "alice", "Linux", "a").await;
    let mut bob = Client::login(addr, "bob", "Linux", "b").await;
    assert_eq!(bob.subscribe(&["alice", "dave"]).await.code, 0);
    // dave reads nothing from now on; alice changes until dave is declared gone.
    let pad = "p".repeat(90);
    let mut i = 0u64;
    let dave_offline = loop {
        i += 1;
        assert!(i < 200_000, "slow consumer never detected");
        // Pipeline 8 requests (less than the queue, so bob keeps up), then read their replies.
        a.set_status_pipelined((0..8).map(|k| format!("{pad}{:08}", i * 8 + k)))
            .await;
        // bob drains his queue (also keeps him from being a slow consumer himself).
        let heard = bob.drain_statuses().await;
        if heard.iter().any(|s| s.user_status_identifier == "dave") {
            break heard;
        }
    };
    let dave = dave_offline
        .iter()
        .find(|s| s.user_status_identifier == "dave")
        .unwrap();
    assert_eq!(
        dave.user_status_status_type,
        imsdk_protocol::UserStatusType::Offline
    );
    // Its pipe is full, so the close frame may not fit: the connection ends either way.
    let end = slow.end().await;
    assert!(
        end == End::Close(close::SLOW_CONSUMER) || end == End::NoCloseFrame,
        "{end:?}"
    );
    assert_eq!(a.heartbeat().await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_over_the_cap_get_503_and_a_freed_slot_is_reused() {
    let mut config = config(|_| {});
    config.server.max_connections = 1;
    let server = start(config);
    let url = format!("ws://{}/ws", server.addr());
    let first = Client::login(server.addr(), "alice", "Linux", "a").await;
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected 503, got {other:?}"),
    }
    let mut first = first;
    let reply = first.request(|id| ClientFrame::Logout { id }).await;
    assert_eq!(reply.code, 0);
    assert_eq!(first.end().await, End::Close(close::LOGGED_OUT));
    // The slot is released when the session task ends; retry until it is (bounded).
    let started = std::time::Instant::now();
    loop {
        if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await {
            use futures_util::SinkExt;
            ws.send(tokio_tungstenite::tungstenite::Message::text(
                imsdk_protocol::encode(&login_frame("bob", "Linux", "b")),
            ))
            .await
            .unwrap();
            break;
        }
        assert!(started.elapsed() < WAIT, "slot never freed");
    }
}
