//! The user-status rules: ONLINE / OFFLINE / UNLOGINED, devices, custom status, notifications.

mod common;
use common::*;
use imsdk_protocol::UserStatusType::{Offline, Online, UnLogined};
use imsdk_protocol::{close, code, ServerFrame};

#[tokio::test(flavor = "multi_thread")]
async fn imported_account_that_never_logged_in_is_unlogined() {
    let server = start(config(|_| {}));
    let mut bob = Client::login(server.addr(), "bob", "Android", "b").await;
    let got = statuses(&bob.get(&["alice", "bob"]).await);
    assert_eq!(
        got,
        vec![
            status("alice", UnLogined, "", &[]),
            status("bob", Online, "", &["Android"])
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn online_devices_list_every_platform_and_own_sessions_hear_changes() {
    let server = start(config(|_| {}));
    let mut a1 = Client::login(server.addr(), "alice", "Windows", "a1").await;
    assert_eq!(
        a1.next_status().await,
        status("alice", Online, "", &["Windows"])
    );
    let mut a2 = Client::login(server.addr(), "alice", "Android", "a2").await;
    assert_eq!(
        a1.next_status().await,
        status("alice", Online, "", &["Windows", "Android"])
    );
    assert_eq!(
        a2.next_status().await,
        status("alice", Online, "", &["Windows", "Android"])
    );
    // A third session on a platform already listed changes nothing: no notification.
    let _a3 = Client::login(server.addr(), "alice", "Android", "a3").await;
    assert_eq!(a1.drain_statuses().await, vec![]);
    // Custom status reaches every session of the account, the caller included.
    assert_eq!(a2.set_status(Some("listening to music")).await.code, 0);
    let want = status(
        "alice",
        Online,
        "listening to music",
        &["Windows", "Android"],
    );
    assert_eq!(a2.next_status().await, want);
    assert_eq!(a1.next_status().await, want);
    // One session leaving keeps the account ONLINE with fewer devices.
    a1.drop_tcp();
    assert_eq!(
        a2.next_status().await,
        status("alice", Online, "listening to music", &["Android"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_status_is_limited_to_100_bytes_and_cleared_by_none_or_empty() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "iPhone", "a").await;
    a.drain_statuses().await;
    let hundred = "é".repeat(50);
    assert_eq!(a.set_status(Some(&hundred)).await.code, 0);
    assert_eq!(
        a.set_status(Some(&format!("{hundred}x"))).await.code,
        code::INVALID_PARAMETERS
    );
    assert_eq!(
        a.drain_statuses().await,
        vec![status("alice", Online, &hundred, &["iPhone"])]
    );
    assert_eq!(a.set_status(None).await.code, 0);
    assert_eq!(
        a.drain_statuses().await,
        vec![status("alice", Online, "", &["iPhone"])]
    );
    assert_eq!(a.set_status(Some("x")).await.code, 0);
    assert_eq!(a.set_status(Some("")).await.code, 0);
    let got = a.drain_statuses().await;
    assert_eq!(got.last(), Some(&status("alice", Online, "", &["iPhone"])));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_that_changes_nothing_is_not_notified() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Mac", "a").await;
    let mut b = Client::login(server.addr(), "bob", "Mac", "b").await;
    assert_eq!(b.subscribe(&["alice"]).await.code, 0);
    assert_eq!(a.set_status(Some("busy")).await.code, 0);
    assert_eq!(a.set_status(Some("busy")).await.code, 0);
    assert_eq!(a.set_status(Some("busy")).await.code, 0);
    let heard: Vec<_> = b
        .drain_statuses()
        .await
        .into_iter()
        .filter(|s| s.user_status_identifier == "alice")
        .collect();
    assert_eq!(heard, vec![status("alice", Online, "busy", &["Mac"])]);
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_close_makes_the_account_offline_and_clears_custom_status() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Android", "a").await;
    assert_eq!(a.set_status(Some("on a call")).await.code, 0);
    let mut b = Client::login(server.addr(), "bob", "Windows", "b").await;
    assert_eq!(b.subscribe(&["alice"]).await.code, 0);
    a.drop_tcp();
    assert_eq!(
        b.next_status_of("alice").await,
        status("alice", Offline, "", &[])
    );
    assert_eq!(
        statuses(&b.get(&["alice"]).await),
        vec![status("alice", Offline, "", &[])]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_makes_the_account_unlogined() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Android", "a").await;
    assert_eq!(a.set_status(Some("hi")).await.code, 0);
    let mut b = Client::login(server.addr(), "bob", "Windows", "b").await;
    assert_eq!(b.subscribe(&["alice"]).await.code, 0);
    let reply = a
        .request(|id| imsdk_protocol::ClientFrame::Logout { id })
        .await;
    assert_eq!(reply.code, 0);
    assert_eq!(a.end().await, End::Close(close::LOGGED_OUT));
    assert_eq!(
        b.next_status_of("alice").await,
        status("alice", UnLogined, "", &[])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn heartbeat_silence_closes_with_4002_and_goes_offline() {
    // 2 s rather than 1: bob's 200 ms heartbeats keep a wide margin on a loaded machine.
    let server = start(config(|a| a.heartbeat_timeout_s = 2));
    let mut a = Client::login(server.addr(), "alice", "Android", "a").await;
    let mut b = Client::login(server.addr(), "bob", "Windows", "b").await;
    assert_eq!(b.subscribe(&["alice"]).await.code, 0);
    // bob keeps talking (any frame counts), alice stays silent.
    let started = std::time::Instant::now();
    let alice_end = tokio::spawn(async move { a.end().await });
    loop {
        b.heartbeat().await;
        if alice_end.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(started.elapsed() < WAIT, "alice was not timed out");
    }
    assert_eq!(
        alice_end.await.unwrap(),
        End::Close(close::HEARTBEAT_TIMEOUT)
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(1900));
    assert_eq!(
        b.next_status_of("alice").await,
        status("alice", Offline, "", &[])
    );
    assert_eq!(
        b.heartbeat().await.code,
        0,
        "bob, who kept talking, is still connected"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn relogin_with_the_same_instance_replaces_without_offline() {
    let server = start(config(|_| {}));
    let mut b = Client::login(server.addr(), "bob", "Windows", "b").await;
    assert_eq!(b.subscribe(&["alice"]).await.code, 0);
    let mut old = Client::login(server.addr(), "alice", "Android", "phone").await;
    assert_eq!(
        b.next_status_of("alice").await,
        status("alice", Online, "", &["Android"])
    );
    let _new = Client::login(server.addr(), "alice", "Android", "phone").await;
    assert_eq!(old.end().await, End::Close(1000));
    assert!(
        old.pushes
            .iter()
            .all(|p| !matches!(p, ServerFrame::KickedOffline { .. })),
        "no kick push"
    );
    // Nothing changed for bob: no Offline, no Online in between.
    let about_alice: Vec<_> = b
        .drain_statuses()
        .await
        .into_iter()
        .filter(|s| s.user_status_identifier == "alice")
        .collect();
    assert_eq!(about_alice, vec![]);
    assert_eq!(
        statuses(&b.get(&["alice"]).await),
        vec![status("alice", Online, "", &["Android"])]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_per_platform_kicks_the_older_session_on_that_platform() {
    let server = start(config(|a| {
        a.login_policy = imsdk_server::config::LoginPolicy::OnePerPlatform
    }));
    let mut first = Client::login(server.addr(), "alice", "Android", "phone-1").await;
    let mut desktop = Client::login(server.addr(), "alice", "Windows", "pc").await;
    let _second = Client::login(server.addr(), "alice", "Android", "phone-2").await;
    assert_eq!(first.end().await, End::Close(close::KICKED_OFFLINE));
    let kick = first.pushes.iter().find_map(|p| match p {
        ServerFrame::KickedOffline { code, .. } => Some(*code),
        _ => None,
    });
    assert_eq!(kick, Some(code::LOGIN_KICKED_OFF_BY_OTHER));
    assert_eq!(
        desktop.heartbeat().await.code,
        0,
        "the other platform stays"
    );
    let got = statuses(&desktop.get(&["alice"]).await);
    assert_eq!(
        got[0].user_status_online_devices,
        vec!["Windows", "Android"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_policy_keeps_every_session() {
    let server = start(config(|_| {}));
    let mut first = Client::login(server.addr(), "alice", "Android", "phone-1").await;
    let _second = Client::login(server.addr(), "alice", "Android", "phone-2").await;
    assert_eq!(first.heartbeat().await.code, 0);
    assert_eq!(first.set_status(Some("still here")).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn friends_hear_changes_when_the_switch_is_on() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let r = rest(addr, "/v4/sns/friend_add", &serde_json::json!({"From_Account": "bob", "AddFriendItem": [{"To_Account": "alice"}], "AddType": "Add_Type_Both"})).await;
    assert_eq!(r["ResultItem"][0]["ResultCode"], 0, "{r}");
    let mut b = Client::login(addr, "bob", "Windows", "b").await;
    let mut a = Client::login(addr, "alice", "Android", "a").await;
    assert_eq!(
        b.next_status_of("alice").await,
        status("alice", Online, "", &["Android"])
    );
    assert_eq!(a.set_status(Some("free")).await.code, 0);
    assert_eq!(
        b.next_status_of("alice").await,
        status("alice", Online, "free", &["Android"])
    );
    // Both ways: alice heard bob come online? bob logged in first, so check bob's change instead.
    assert_eq!(b.set_status(Some("away")).await.code, 0);
    assert_eq!(
        a.next_status_of("bob").await,
        status("bob", Online, "away", &["Windows"])
    );
    // After friend_delete, no more.
    let r = rest(
        addr,
        "/v4/sns/friend_delete",
        &serde_json::json!({"From_Account": "bob", "To_Account": ["alice"]}),
    )
    .await;
    assert_eq!(r["ResultItem"][0]["ResultCode"], 0, "{r}");
    assert_eq!(a.set_status(Some("gone")).await.code, 0);
    assert!(b
        .drain_statuses()
        .await
        .iter()
        .all(|s| s.user_status_identifier != "alice"));
}

#[tokio::test(flavor = "multi_thread")]
async fn single_friendship_notifies_only_its_owner() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let body = serde_json::json!({"From_Account": "bob", "AddFriendItem": [{"To_Account": "alice"}], "AddType": "Add_Type_Single"});
    assert_eq!(
        rest(addr, "/v4/sns/friend_add", &body).await["ResultItem"][0]["ResultCode"],
        0
    );
    let mut a = Client::login(addr, "alice", "Android", "a").await;
    let mut b = Client::login(addr, "bob", "Windows", "b").await;
    assert_eq!(a.set_status(Some("x")).await.code, 0);
    assert_eq!(
        b.next_status_of("alice").await.user_status_custom_status,
        "x"
    );
    assert_eq!(b.set_status(Some("y")).await.code, 0);
    assert!(a
        .drain_statuses()
        .await
        .iter()
        .all(|s| s.user_status_identifier != "bob"));
}

#[tokio::test(flavor = "multi_thread")]
async fn friends_hear_nothing_when_the_switch_is_off() {
    let server = start(config(|a| a.friend_status_notify = false));
    let addr = server.addr();
    let body =
        serde_json::json!({"From_Account": "bob", "AddFriendItem": [{"To_Account": "alice"}]});
    assert_eq!(
        rest(addr, "/v4/sns/friend_add", &body).await["ResultItem"][0]["ResultCode"],
        0
    );
    let mut b = Client::login(addr, "bob", "Windows", "b").await;
    let mut a = Client::login(addr, "alice", "Android", "a").await;
    assert_eq!(a.set_status(Some("x")).await.code, 0);
    assert!(b
        .drain_statuses()
        .await
        .iter()
        .all(|s| s.user_status_identifier != "alice"));
    // Subscribing still works for friends.
    assert_eq!(b.subscribe(&["alice"]).await.code, 0);
    assert_eq!(a.set_status(Some("y")).await.code, 0);
    assert_eq!(
        b.next_status_of("alice").await.user_status_custom_status,
        "y"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_self_status_needs_neither_plan_nor_switch() {
    let server = start(config(|a| {
        a.plan = imsdk_server::config::Plan::Basic;
        a.user_status_enabled = false;
    }));
    let mut a = Client::login(server.addr(), "alice", "Android", "a").await;
    for i in 0..50 {
        assert_eq!(
            a.set_status(Some(&format!("s{i}"))).await.code,
            0,
            "no rate limit"
        );
    }
    assert_eq!(
        statuses(&a.get(&["alice"]).await)[0].user_status_custom_status,
        "s49"
    );
}
