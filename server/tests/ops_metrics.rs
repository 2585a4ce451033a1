//! `/metrics` (scraped after real activity), `/healthz` and `/readyz`.

mod common;
mod ops_common;

use common::*;
use ops_common::*;

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_sessions_logins_pushes_and_latency() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let (status, page) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&page, "imsdk_notifications_sent_total"), 0.0);

    let mut bob = Client::login(addr, "bob", "Android", "phone").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    let mut alice = Client::login(addr, "alice", "Windows", "pc").await;
    bob.next_status_of("alice").await;
    assert_eq!(alice.set_status(Some("x")).await.code, 0);
    bob.next_status_of("alice").await;
    let mut refused = Client::connect(addr).await;
    let mut bad = login_frame("carol", "iOS", "i");
    if let imsdk_protocol::ClientFrame::Login { user_sig, .. } = &mut bad {
        *user_sig = "not-a-usersig".into();
    }
    assert_ne!(refused.send_frame(&bad).await.code, 0);

    let (_, page) = get(addr, "/metrics").await;
    let app = format!("sdk_app_id=\"{APP}\"");
    assert_eq!(
        metric(&page, &format!("imsdk_sessions_online{{{app}}}")),
        2.0,
        "{page}"
    );
    let ok = format!("imsdk_logins_total{{{app},result=\"ok\"}}");
    let failed = format!("imsdk_logins_total{{{app},result=\"failed\"}}");
    assert_eq!(metric(&page, &ok), 2.0, "{page}");
    assert_eq!(metric(&page, &failed), 1.0, "{page}");
    // bob heard alice's login and her status change.
    assert!(
        metric(&page, "imsdk_notifications_sent_total") >= 2.0,
        "{page}"
    );
    let subscribes = r#"imsdk_request_duration_seconds_count{kind="subscribe_user_status"}"#;
    assert_eq!(metric(&page, subscribes), 1.0, "{page}");
    assert_eq!(
        metric(
            &page,
            r#"imsdk_request_duration_seconds_count{kind="set_self_status"}"#
        ),
        1.0
    );
    assert!(page.contains("imsdk_redis_errors_total 0"), "{page}");
    let r = rest(
        addr,
        "/v4/openim/query_online_status",
        &serde_json::json!({"To_Account": ["alice"]}),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0);
    let (_, page) = get(addr, "/metrics").await;
    let rest_count = r#"imsdk_request_duration_seconds_count{kind="rest"}"#;
    assert_eq!(metric(&page, rest_count), 1.0, "{page}");

    alice.drop_tcp();
    bob.next_status_of("alice").await;
    let (_, page) = get(addr, "/metrics").await;
    assert_eq!(
        metric(&page, &format!("imsdk_sessions_online{{{app}}}")),
        1.0,
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    assert_eq!(get(addr, "/healthz").await, (200, "ok\n".into()));
    assert_eq!(get(addr, "/readyz").await, (200, "ready\n".into()));
}
