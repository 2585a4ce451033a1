//! Plan, console switch, per-call caps, rate windows, the subscription cap and retention.

mod common;
use common::*;
use imsdk_protocol::code;
use imsdk_protocol::UserStatusType::{Online, UnLogined};
use imsdk_server::config::Plan;
use std::time::{Duration, Instant};

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_plan_gets_7013_for_others_but_own_status_is_free() {
    let server = start(config(|a| a.plan = Plan::Basic));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    assert_eq!(a.get(&["bob"]).await.code, code::INTERFACE_NOT_SUPPORT);
    assert_eq!(
        a.get(&["alice", "bob"]).await.code,
        code::INTERFACE_NOT_SUPPORT
    );
    assert_eq!(
        a.subscribe(&["bob"]).await.code,
        code::INTERFACE_NOT_SUPPORT
    );
    assert_eq!(a.unsubscribe(None).await.code, code::INTERFACE_NOT_SUPPORT);
    for _ in 0..30 {
        assert_eq!(
            statuses(&a.get(&["alice"]).await),
            vec![status("alice", Online, "", &["Linux"])]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_is_checked_before_the_switch() {
    let server = start(config(|a| {
        a.plan = Plan::Basic;
        a.user_status_enabled = false;
    }));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    assert_eq!(
        a.subscribe(&["bob"]).await.code,
        code::INTERFACE_NOT_SUPPORT
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn switch_off_gives_72001() {
    let server = start(config(|a| a.user_status_enabled = false));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    assert_eq!(a.get(&["bob"]).await.code, code::USER_STATUS_DISABLED);
    assert_eq!(a.subscribe(&["bob"]).await.code, code::USER_STATUS_DISABLED);
    assert_eq!(
        a.unsubscribe(Some(&["bob"])).await.code,
        code::USER_STATUS_DISABLED
    );
    assert_eq!(a.get(&["alice"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn per_call_caps_500_get_100_subscribe_and_no_self_subscription() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    let mut many = ids("u", 500);
    many[0] = "bob".into();
    assert_eq!(
        statuses(&a.get(&refs(&many)).await).len(),
        1,
        "unknown ids are left out"
    );
    many.push("carol".into());
    assert_eq!(a.get(&refs(&many)).await.code, code::INVALID_PARAMETERS);
    assert_eq!(a.get(&[]).await.code, code::INVALID_PARAMETERS);
    let mut hundred = ids("u", 100);
    hundred[0] = "bob".into();
    assert_eq!(a.subscribe(&refs(&hundred)).await.code, 0);
    hundred.push("carol".into());
    assert_eq!(
        a.subscribe(&refs(&hundred)).await.code,
        code::INVALID_PARAMETERS
    );
    assert_eq!(
        a.unsubscribe(Some(&refs(&hundred))).await.code,
        code::INVALID_PARAMETERS
    );
    assert_eq!(
        a.subscribe(&["bob", "alice"]).await.code,
        code::INVALID_PARAMETERS,
        "own id"
    );
    assert_eq!(a.subscribe(&[]).await.code, code::INVALID_PARAMETERS);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_fail_only_when_all_fail() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    assert_eq!(
        statuses(&a.get(&["nobody", "bob", "bob"]).await),
        vec![status("bob", UnLogined, "", &[])]
    );
    assert_eq!(
        a.get(&["nobody", "ghost"]).await.code,
        code::ACCOUNT_NOT_FOUND
    );
    assert_eq!(a.get(&["bad\u{1}id"]).await.code, code::INVALID_IDENTIFIER);
    assert_eq!(a.subscribe(&["nobody"]).await.code, code::ACCOUNT_NOT_FOUND);
    assert_eq!(a.subscribe(&["nobody", "bob"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_calls_per_window_per_api_then_7008_until_the_window_slides() {
    let server = start(config(|a| a.limits.rate_window_s = 1));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    let started = Instant::now();
    for i in 0..20 {
        assert_eq!(a.get(&["bob"]).await.code, 0, "call {i}");
    }
    assert_eq!(a.get(&["bob"]).await.code, code::API_CALL_FREQUENCY_LIMIT);
    assert_eq!(a.get(&["alice"]).await.code, 0, "own status is unlimited");
    // Each API has its own window.
    for _ in 0..20 {
        assert_eq!(a.subscribe(&["bob"]).await.code, 0);
        assert_eq!(a.unsubscribe(Some(&["bob"])).await.code, 0);
    }
    assert_eq!(
        a.subscribe(&["bob"]).await.code,
        code::API_CALL_FREQUENCY_LIMIT
    );
    assert_eq!(
        a.unsubscribe(None).await.code,
        code::API_CALL_FREQUENCY_LIMIT
    );
    // Other accounts have their own windows.
    let mut b = Client::login(server.addr(), "bob", "Linux", "b").await;
    assert_eq!(b.get(&["alice"]).await.code, 0);
    // After the window, calls pass again.
    tokio::time::sleep(
        Duration::from_secs(1).saturating_sub(started.elapsed()) + Duration::from_millis(50),
    )
    .await;
    assert_eq!(a.get(&["bob"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn subscription_list_evicts_the_oldest_above_the_cap() {
    let server = start(config(|a| a.limits.subscription_max = 2));
    let addr = server.addr();
    let mut d = Client::login(addr, "dave", "Linux", "d").await;
    assert_eq!(d.subscribe(&["alice"]).await.code, 0);
    assert_eq!(d.subscribe(&["bob"]).await.code, 0);
    assert_eq!(d.subscribe(&["carol"]).await.code, 0);
    // alice was evicted; bob and carol are heard.
    let _a = Client::login(addr, "alice", "Linux", "a").await;
    let _b = Client::login(addr, "bob", "Linux", "b").await;
    let _c = Client::login(addr, "carol", "Linux", "c").await;
    let heard = d.heard_except("dave").await;
    assert_eq!(heard, vec!["bob", "carol"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn friends_count_toward_the_subscription_cap() {
    let server = start(config(|a| a.limits.subscription_max = 1));
    let addr = server.addr();
    let body =
        serde_json::json!({"From_Account": "dave", "AddFriendItem": [{"To_Account": "alice"}]});
    assert_eq!(
        rest(addr, "/v4/sns/friend_add", &body).await["ResultItem"][0]["ResultCode"],
        0
    );
    let mut d = Client::login(addr, "dave", "Linux", "d").await;
    assert_eq!(d.subscribe(&["alice"]).await.code, 0);
    assert_eq!(d.subscribe(&["bob"]).await.code, 0);
    let _b = Client::login(addr, "bob", "Linux", "b").await;
    assert_eq!(
        d.next_status_of("bob").await.user_status_status_type,
        Online
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unsubscribe_removes_and_null_or_empty_clears() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let mut d = Client::login(addr, "dave", "Linux", "d").await;
    assert_eq!(d.subscribe(&["alice", "bob", "carol"]).await.code, 0);
    assert_eq!(d.unsubscribe(Some(&["alice"])).await.code, 0);
    let _a = Client::login(addr, "alice", "Linux", "a").await;
    let _b = Client::login(addr, "bob", "Linux", "b").await;
    let heard = d.heard_except("dave").await;
    assert_eq!(heard, vec!["bob"]);
    assert_eq!(d.unsubscribe(Some(&[])).await.code, 0);
    let _c = Client::login(addr, "carol", "Linux", "c").await;
    assert_eq!(d.subscribe(&["alice"]).await.code, 0);
    assert_eq!(d.unsubscribe(None).await.code, 0);
    let mut a2 = Client::login(addr, "alice", "Mac", "a2").await;
    a2.set_status(Some("x")).await;
    let heard = d.heard_except("dave").await;
    assert_eq!(heard, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_survive_reconnects_within_retention_and_drop_after() {
    let server = start(config(|a| a.limits.subscription_retention_s = 1));
    let addr = server.addr();
    let mut a = Client::login(addr, "alice", "Linux", "a").await;
    let mut d = Client::login(addr, "dave", "Linux", "d1").await;
    assert_eq!(d.subscribe(&["alice"]).await.code, 0);
    // A blip: dave reconnects at once and still hears alice.
    d.drop_tcp();
    let mut d = Client::login(addr, "dave", "Linux", "d2").await;
    assert_eq!(a.set_status(Some("one")).await.code, 0);
    assert_eq!(
        d.next_status_of("alice").await.user_status_custom_status,
        "one"
    );
    // Offline for longer than the retention: the list is gone.
    let reply = d
        .request(|id| imsdk_protocol::ClientFrame::Logout { id })
        .await;
    assert_eq!(reply.code, 0);
    let gone = Instant::now();
    tokio::time::sleep(Duration::from_millis(1300).saturating_sub(gone.elapsed())).await;
    let mut d = Client::login(addr, "dave", "Linux", "d3").await;
    assert_eq!(a.set_status(Some("two")).await.code, 0);
    assert!(d
        .drain_statuses()
        .await
        .iter()
        .all(|s| s.user_status_identifier != "alice"));
}
