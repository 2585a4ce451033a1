//! The user-status rules, run by the same code against both stores: the embedded one (with its
//! database) and the Redis one. The status rule exists in Rust (`AccountState::status`) and in Lua
//! (`status()` in `cluster/lua/lib.lua`): one table of cases checks both.

mod cluster_common;
mod common;

use cluster_common::{node_config, Redis};
use common::*;
use imsdk_protocol::UserStatusType::{self, Offline, Online, UnLogined};
use imsdk_server::config::Config;
use serde_json::json;
use std::net::SocketAddr;

/// What bob's devices do next.
enum Step {
    Login(&'static str, &'static str),
    Custom(&'static str, Option<&'static str>),
    Drop(&'static str),
    Logout(&'static str),
}
use Step::*;

/// Each step, then bob's status as alice (a subscriber) must see it: pushed and queried.
const TABLE: &[(Step, UserStatusType, &str, &[&str])] = &[
    (Login("Linux", "i1"), Online, "", &["Linux"]),
    (Login("Android", "i2"), Online, "", &["Linux", "Android"]),
    (
        Custom("i1", Some("music")),
        Online,
        "music",
        &["Linux", "Android"],
    ),
    // A second session on the same platform: one device entry.
    (Login("Linux", "i3"), Online, "music", &["Linux", "Android"]),
    (Drop("i2"), Online, "music", &["Linux"]),
    (Custom("i3", None), Online, "", &["Linux"]),
    (Custom("i1", Some("back")), Online, "back", &["Linux"]),
    (Drop("i1"), Online, "back", &["Linux"]),
    // The last session lost: OFFLINE, custom status cleared.
    (Drop("i3"), Offline, "", &[]),
    (Login("iPhone", "i4"), Online, "", &["iPhone"]),
    (Custom("i4", Some("x")), Online, "x", &["iPhone"]),
    // The last session logged out: UNLOGINED.
    (Logout("i4"), UnLogined, "", &[]),
    (Login("Windows", "i5"), Online, "", &["Windows"]),
];

async fn run_table(addr: SocketAddr) {
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    let first = statuses(&alice.get(&["bob"]).await);
    assert_eq!(
        first,
        vec![status("bob", UnLogined, "", &[])],
        "never logged in"
    );
    assert_eq!(alice.subscribe(&["bob"]).await.code, 0);
    let mut bob: Vec<(&str, Client)> = Vec::new();
    let mut prev = first[0].clone();
    for (n, (step, t, custom, devices)) in TABLE.iter().enumerate() {
        let mut take = |instance: &str| {
            let pos = bob.iter().position(|(i, _)| *i == instance).expect("open");
            bob.remove(pos).1
        };
        match step {
            Login(platform, instance) => bob.push((
                instance,
                Client::login(addr, "bob", platform, instance).await,
            )),
            Custom(instance, text) => {
                let mut c = take(instance);
                assert_eq!(c.set_status(*text).await.code, 0);
                bob.push((instance, c));
            }
            Drop(instance) => take(instance).drop_tcp(),
            Logout(instance) => {
                let mut c = take(instance);
                let reply = c
                    .request(|id| imsdk_protocol::ClientFrame::Logout { id })
                    .await;
                assert_eq!(reply.code, 0);
            }
        }
        let want = status("bob", *t, custom, devices);
        // A change is pushed once; no change (a second session on a platform already listed,
        // or its end), no push: the query after the step then finds no push queued before it.
        if want != prev {
            assert_eq!(
                alice.next_status_of("bob").await,
                want,
                "pushed after step {n}"
            );
        }
        let reply = alice.get(&["bob"]).await;
        assert!(
            alice.pushes.is_empty(),
            "no push expected after step {n}: {:?}",
            alice.pushes
        );
        assert_eq!(
            statuses(&reply),
            vec![want.clone()],
            "queried after step {n}"
        );
        prev = want;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_table_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(|_| {});
    cfg.server.data_dir = Some(dir.path().display().to_string());
    let server = start(cfg);
    run_table(server.addr()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_table_redis() {
    let redis = Redis::start();
    let server = start(node_config(&redis, 3000, |_| {}));
    run_table(server.addr()).await;
}

/// With the plan or the switch off, nobody else hears a change (a user's own devices still do);
/// switched back on, subscriptions and friendships made before carry pushes again.
async fn gating(addr: SocketAddr) {
    let token = sign_in(addr).await;
    let set = |body: serde_json::Value| {
        let token = token.clone();
        async move {
            let (status, body, _) = http(
                addr,
                "PUT",
                "/console/api/settings",
                Some(&token),
                Some(&body),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    let friend = rest(
        addr,
        "/v4/sns/friend_add",
        &json!({"From_Account": "carol", "AddFriendItem": [{"To_Account": "bob"}],
                "AddType": "Add_Type_Single"}),
    )
    .await;
    assert_eq!(friend["ResultItem"][0]["ResultCode"], 0, "{friend}");
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    let mut carol = Client::login(addr, "carol", "Linux", "c").await;
    assert_eq!(alice.subscribe(&["bob"]).await.code, 0);
    let mut bob = Client::login(addr, "bob", "Linux", "b1").await;
    let mut bob2 = Client::login(addr, "bob", "Android", "b2").await;
    for listener in [&mut alice, &mut carol] {
        assert_eq!(
            listener
                .next_status_of("bob")
                .await
                .user_status_online_devices,
            ["Linux"]
        );
        let both = listener.next_status_of("bob").await;
        assert_eq!(both.user_status_online_devices, ["Linux", "Android"]);
    }
    let custom = |s: &imsdk_protocol::UserStatus| s.user_status_custom_status.clone();
    for (off, on, quiet, heard) in [
        (
            json!({"user_status_enabled": false}),
            json!({"user_status_enabled": true}),
            "a",
            "b",
        ),
        (
            json!({"plan": "basic"}),
            json!({"plan": "ultimate"}),
            "c",
            "d",
        ),
    ] {
        set(off).await;
        assert_eq!(bob.set_status(Some(quiet)).await.code, 0);
        // Multi-device sync is not gated (bob2 also heard its own logins before).
        while custom(&bob2.next_status_of("bob").await) != quiet {}
        set(on).await;
        assert_eq!(bob.set_status(Some(heard)).await.code, 0);
        // Pushes to one session keep their order: had the gated change been sent, it would come
        // first.
        assert_eq!(
            custom(&alice.next_status_of("bob").await),
            heard,
            "subscriber"
        );
        assert_eq!(custom(&carol.next_status_of("bob").await), heard, "friend");
        assert_eq!(custom(&bob2.next_status_of("bob").await), heard);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_switch_gate_pushes_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg: Config = config(|app| app.friend_status_notify = true);
    cfg.server.data_dir = Some(dir.path().display().to_string());
    let server = start(cfg);
    gating(server.addr()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_switch_gate_pushes_redis() {
    let redis = Redis::start();
    let server = start(node_config(&redis, 3000, |app| {
        app.friend_status_notify = true
    }));
    gating(server.addr()).await;
}

/// `auto_import_accounts` (the dev app of the binary): a valid UserSig of an unknown account
/// imports it at login; without it the login answers 70107.
async fn auto_import(on: Config, off: Config) {
    let server = start(on);
    let _zoe = Client::login(server.addr(), "zoe", "Linux", "z").await;
    let answer = rest(
        server.addr(),
        "/v4/openim/query_online_status",
        &json!({"To_Account": ["zoe"]}),
    )
    .await;
    assert_eq!(answer["QueryResult"][0]["Status"], "Online", "{answer}");
    drop(server);
    let server = start(off);
    let mut c = Client::connect(server.addr()).await;
    let reply = c.send_frame(&login_frame("zoe", "Linux", "z")).await;
    assert_eq!(reply.code, imsdk_protocol::code::ACCOUNT_NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_import_embedded() {
    auto_import(
        config(|app| app.auto_import_accounts = true),
        config(|_| {}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_import_redis() {
    let redis = Redis::start();
    auto_import(
        node_config(&redis, 3000, |app| app.auto_import_accounts = true),
        node_config(&redis, 3000, |_| {}),
    )
    .await;
}
