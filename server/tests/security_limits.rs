//! Limits that hold under attack: connections per source address (`[server]
//! max_connections_per_address`) and the back-off after repeated failed logins, per account and
//! per source address (`login_failures_per_account`, `login_failures_per_address`,
//! `login_failure_window_s`): 70050 until the window slides. Frame size, per-account rate limits
//! and the total connection cap: bad_input.rs, limits.rs, transport.rs.

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{code, ClientFrame, ServerFrame};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Logs `user` in with `user_sig` from `from`; the reply's code.
async fn login_code(addr: SocketAddr, from: &str, user: &str, user_sig: String) -> i32 {
    let mut ws = ws_from(addr, from).await.expect("upgrade");
    let mut frame = login_frame(user, "Linux", "x");
    if let ClientFrame::Login(imsdk_protocol::LoginRequest { user_sig: s, .. }) = &mut frame {
        *s = user_sig;
    }
    ws.send(Message::text(imsdk_protocol::encode(&frame)))
        .await
        .expect("send");
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("reply in time");
        if let Some(Ok(Message::Text(t))) = msg {
            if let Ok(ServerFrame::Reply { code, .. }) = serde_json::from_str(&t) {
                return code;
            }
        }
    }
}

fn forged(user: &str) -> String {
    imsdk_usersig::generate(APP, "guessed-key", user, 3600)
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_per_source_address_are_capped() {
    let mut cfg = config(|_| {});
    cfg.server.max_connections_per_address = 2;
    let server = start(cfg);
    let addr = server.addr();
    let first = ws_from(addr, "127.0.0.1").await.expect("first");
    let _second = ws_from(addr, "127.0.0.1").await.expect("second");
    match ws_from(addr, "127.0.0.1").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected 503, got {:?}", other.map(|_| "a WebSocket")),
    }
    // Another address is not affected.
    let _other = ws_from(addr, "127.0.0.2").await.expect("other address");
    // A closed connection frees its place (released when its task ends: retry, bounded).
    drop(first);
    let started = Instant::now();
    while ws_from(addr, "127.0.0.1").await.is_err() {
        assert!(started.elapsed() < WAIT, "place never freed");
    }
}

/// Finding 4 of the attack review: ten garbage UserSigs for alice from one address used to lock
/// alice out everywhere. Failures now count per account-and-address: the attacker's address is
/// backed off, alice with a valid UserSig from anywhere else logs in at once.
#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_back_off_their_own_address_and_never_lock_out_the_account() {
    let mut cfg = config(|_| {});
    cfg.server.login_failures_per_account = 3;
    cfg.server.login_failure_window_s = 2;
    let server = start(cfg);
    let addr = server.addr();
    let mut last_failure = Instant::now();
    for _ in 0..10 {
        let got = login_code(addr, "127.0.0.1", "alice", forged("alice")).await;
        assert!(
            got == code::USERSIG_CHECK_FAILED || got == code::ACCOUNT_FREQ_LIMIT,
            "{got}"
        );
        last_failure = Instant::now();
    }
    // The attacker's address is backed off for alice ...
    assert_eq!(
        login_code(addr, "127.0.0.1", "alice", forged("alice")).await,
        code::ACCOUNT_FREQ_LIMIT
    );
    // ... alice from anywhere else is not, and other accounts from that address are not.
    for from in ["127.0.0.2", "127.0.0.3"] {
        assert_eq!(login_code(addr, from, "alice", sig("alice")).await, 0);
    }
    assert_eq!(login_code(addr, "127.0.0.1", "bob", sig("bob")).await, 0);
    // Once the window has slid past its failures, the address may log alice in again.
    loop {
        let got = login_code(addr, "127.0.0.1", "alice", sig("alice")).await;
        if got == 0 {
            break;
        }
        assert_eq!(got, code::ACCOUNT_FREQ_LIMIT);
        assert!(
            last_failure.elapsed() < Duration::from_secs(4),
            "back-off outlived its window"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failed_logins_back_off_with_70050_per_address() {
    let mut cfg = config(|_| {});
    cfg.server.login_failures_per_address = 4;
    let server = start(cfg);
    let addr = server.addr();
    // Spraying guesses over accounts from one address.
    for user in ["alice", "bob", "carol", "dave"] {
        assert_eq!(
            login_code(addr, "127.0.0.5", user, forged(user)).await,
            code::USERSIG_CHECK_FAILED
        );
    }
    assert_eq!(
        login_code(addr, "127.0.0.5", "carol", sig("carol")).await,
        code::ACCOUNT_FREQ_LIMIT
    );
    assert_eq!(
        login_code(addr, "127.0.0.6", "carol", sig("carol")).await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn defaults_leave_ordinary_use_alone() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    // Many connections from one address (tests, NAT) and a few typos are fine by default.
    let mut clients = Vec::new();
    for i in 0..50 {
        clients.push(Client::login(addr, "alice", "Linux", &format!("i{i}")).await);
    }
    for _ in 0..9 {
        assert_eq!(
            login_code(addr, "127.0.0.1", "bob", forged("bob")).await,
            code::USERSIG_CHECK_FAILED
        );
    }
    assert_eq!(login_code(addr, "127.0.0.1", "bob", sig("bob")).await, 0);
}
