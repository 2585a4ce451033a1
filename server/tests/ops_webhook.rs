//! Tencent's `State.StateChange` webhook, delivered to a real HTTP receiver on loopback.

mod common;
mod ops_common;

use common::*;
use ops_common::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks Tencent's query parameters and returns the body's `Info`.
fn info_of(call: &Call, platform: &str, token: Option<&str>) -> serde_json::Value {
    let q = &call.query;
    assert_eq!(q["SdkAppid"], APP.to_string());
    assert_eq!(q["CallbackCommand"], "State.StateChange");
    assert_eq!(q["contenttype"], "json");
    assert_eq!(q["ClientIP"], "127.0.0.1");
    assert_eq!(q["OptPlatform"], platform);
    match token {
        Some(token) => {
            let time = &q["RequestTime"];
            let now = imsdk_usersig::unix_now();
            assert!(time.parse::<u64>().unwrap().abs_diff(now) < 5, "{time}");
            assert_eq!(q["Sign"], hex_sha256(&format!("{token}{time}")));
        }
        None => assert!(!q.contains_key("Sign") && !q.contains_key("RequestTime")),
    }
    assert_eq!(call.body["CallbackCommand"], "State.StateChange");
    let event_ms = call.body["EventTime"].as_u64().expect("EventTime in ms");
    let now_ms = imsdk_usersig::unix_now() * 1000;
    assert!(event_ms.abs_diff(now_ms) < 5_000, "{event_ms}");
    call.body["Info"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_status_logout_and_link_close_are_posted_signed() {
    let (url, mut calls) = receiver(false).await;
    let server = start(config(|app| {
        app.callback_url = Some(url);
        app.callback_token = Some("s3cret-token".into());
    }));
    let addr = server.addr();
    let token = Some("s3cret-token");

    let mut alice = Client::login(addr, "alice", "Windows", "pc-1").await;
    let info = info_of(&next_call(&mut calls, WAIT).await, "Windows", token);
    assert_eq!(
        info,
        json!({"Action": "Login", "To_Account": "alice", "Reason": "Register"})
    );

    assert_eq!(alice.set_status(Some("in a match")).await.code, 0);
    let info = info_of(&next_call(&mut calls, WAIT).await, "Windows", token);
    assert_eq!(
        info,
        json!({"Action": "SetCustomStatus", "To_Account": "alice", "Reason": "CustomStatus",
               "CustomStatus": "in a match"})
    );

    assert_eq!(
        alice
            .request(|id| imsdk_protocol::ClientFrame::Logout { id })
            .await
            .code,
        0
    );
    let info = info_of(&next_call(&mut calls, WAIT).await, "Windows", token);
    assert_eq!(
        info,
        json!({"Action": "Logout", "To_Account": "alice", "Reason": "Unregister"})
    );

    let bob = Client::login(addr, "bob", "Android", "phone").await;
    next_call(&mut calls, WAIT).await;
    bob.drop_tcp();
    let info = info_of(&next_call(&mut calls, WAIT).await, "Android", token);
    assert_eq!(
        info,
        json!({"Action": "Disconnect", "To_Account": "bob", "Reason": "LinkClose"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn heartbeat_timeout_is_a_timeout_disconnect_and_no_token_means_no_sign() {
    let (url, mut calls) = receiver(false).await;
    let server = start(config(|app| {
        app.callback_url = Some(url);
        app.heartbeat_timeout_s = 1;
    }));
    let _carol = Client::login(server.addr(), "carol", "iOS", "ipad").await;
    let login = next_call(&mut calls, WAIT).await;
    assert_eq!(info_of(&login, "iOS", None)["Action"], "Login");
    // Silent for the 1 s heartbeat timeout.
    let info = info_of(&next_call(&mut calls, WAIT).await, "iOS", None);
    assert_eq!(
        info,
        json!({"Action": "Disconnect", "To_Account": "carol", "Reason": "TimeOut"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_receiver_never_slows_status_delivery_and_overflow_is_counted() {
    let (url, mut calls) = receiver(true).await;
    let mut config = config(|app| app.callback_url = Some(url));
    config.server.webhook_queue = 4;
    config.server.webhook_timeout_ms = 30_000;
    let server = start(config);
    let addr = server.addr();
    let mut bob = Client::login(addr, "bob", "Android", "phone").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    let mut alice = Client::login(addr, "alice", "Windows", "pc").await;
    bob.next_status_of("alice").await;
    // The receiver got the first requests and holds them; many more events follow.
    next_call(&mut calls, WAIT).await;
    let mut worst = Duration::ZERO;
    for i in 0..60 {
        let text = format!("s{i}");
        let started = Instant::now();
        assert_eq!(alice.set_status(Some(&text)).await.code, 0);
        loop {
            let s = bob.next_status_of("alice").await;
            if s.user_status_custom_status == text {
                break;
            }
        }
        worst = worst.max(started.elapsed());
    }
    eprintln!("worst status round trip with a hanging webhook: {worst:?}");
    assert!(worst < Duration::from_millis(500), "{worst:?}");
    let (_, page) = get(addr, "/metrics").await;
    assert!(
        metric(&page, r#"imsdk_queue_drops_total{kind="webhook"}"#) >= 30.0,
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_requests_are_retried_then_given_up_and_counted() {
    // Fails twice: the 2 retries deliver it.
    let (url, mut calls) = receiver_failing(false, 2).await;
    let server = start(config(|app| app.callback_url = Some(url)));
    let _alice = Client::login(server.addr(), "alice", "Windows", "pc").await;
    for _ in 0..3 {
        assert_eq!(
            next_call(&mut calls, WAIT).await.body["Info"]["Action"],
            "Login"
        );
    }
    let ok = r#"imsdk_webhook_deliveries_total{result="ok"}"#;
    wait_metric(server.addr(), ok, 1.0).await;

    // Fails three times: given up after the 2 retries.
    let (url, mut calls) = receiver_failing(false, 3).await;
    let server = start(config(|app| app.callback_url = Some(url)));
    let _alice = Client::login(server.addr(), "alice", "Windows", "pc").await;
    for _ in 0..3 {
        next_call(&mut calls, WAIT).await;
    }
    let failed = r#"imsdk_webhook_deliveries_total{result="failed"}"#;
    wait_metric(server.addr(), failed, 1.0).await;
    let extra = tokio::time::timeout(Duration::from_millis(500), calls.recv()).await;
    assert!(extra.is_err(), "no fourth attempt");
}

/// Scrapes until `sample` reaches `want` (the outcome is counted just after the last answer).
async fn wait_metric(addr: std::net::SocketAddr, sample: &str, want: f64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, page) = get(addr, "/metrics").await;
        if metric(&page, sample) == want {
            return;
        }
        assert!(Instant::now() < deadline, "{sample} never {want}: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
