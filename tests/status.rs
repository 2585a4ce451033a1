//! The user-status API through the C ABI against a real `imsdk-server` on 127.0.0.1: the seed's
//! story, queries, subscriptions and their 200 cap, multi-device sync, logout and disconnect,
//! kick and UserSig expiry, and the error codes of bad calls.

mod common;

use common::*;
use imsdk_protocol::ClientFrame;
use imsdk_server::config::LoginPolicy;
use std::ffi::CString;
use ImSDK::*;

fn status_of<'a>(list: &'a [serde_json::Value], user: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|s| s["user_status_identifier"] == user)
        .expect("user in result")
}

#[test]
fn story_subscribe_change_query_logout_disconnect() {
    let _g = serial();
    let server = start_server(server_config(&["alice", "bob", "carol"]));
    set_listeners();
    assert_eq!(
        init(&ws_url(server.addr()), r#""sdk_config_platform":"Windows""#),
        0
    );
    login("alice");

    // Query: every key, Tencent's types.
    let list = query(&["alice", "bob", "carol"]);
    assert_eq!(list.len(), 3);
    for s in &list {
        let keys: Vec<&str> = s
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        for k in [
            "user_status_identifier",
            "user_status_status_type",
            "user_status_custom_status",
            "user_status_online_devices",
        ] {
            assert!(keys.contains(&k), "{k} missing in {s}");
        }
    }
    assert_eq!(status_of(&list, "alice")["user_status_status_type"], 1);
    assert_eq!(
        status_of(&list, "alice")["user_status_online_devices"],
        serde_json::json!(["Windows"])
    );
    assert_eq!(
        status_of(&list, "bob")["user_status_status_type"],
        3,
        "never logged in: UNLOGINED"
    );

    // Subscribe to bob; bob comes online and sets a custom status.
    assert_eq!(
        call(TIMSubscribeUserStatus, r#"["bob"]"#),
        (0, String::new())
    );
    let mut bob = Peer::login(server.addr(), "bob", "Android");
    wait_change("bob", 1, None);
    bob.set_custom("in a match");
    let change = wait_change("bob", 1, Some("in a match"));
    assert_eq!(
        change[0]["user_status_online_devices"],
        serde_json::json!(["Android"])
    );

    // Own custom status: set, read back, clear; bob (subscribed to alice) sees both.
    bob.subscribe(&["alice"]);
    assert_eq!(
        call(
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":"looking for a team"}"#
        ),
        (0, String::new())
    );
    bob.wait_status("alice", 1, Some("looking for a team"));
    assert_eq!(
        status_of(&query(&["alice"]), "alice")["user_status_custom_status"],
        "looking for a team"
    );
    assert_eq!(
        call(SetSelfStatus, r#"{"user_status_custom_status":""}"#).0,
        0,
        "design-card name, same implementation"
    );
    bob.wait_status("alice", 1, Some(""));

    // Bob logs out: UNLOGINED. Unsubscribed users are no longer reported.
    assert_eq!(bob.request(|id| ClientFrame::Logout { id }).0, 0);
    wait_change("bob", 3, None);
    assert_eq!(
        call(UnsubscribeUserStatus, r#"["bob"]"#),
        (0, String::new())
    );

    // Every callback so far ran on the one SDK callback thread.
    let threads = CALLBACK_THREADS.lock().expect("threads").clone();
    assert_eq!(threads.len(), 1, "one callback thread");
    assert_ne!(threads[0], std::thread::current().id());

    // Alice drops her connection without logging out (TIMUninit): carol sees her OFFLINE.
    let mut carol = Peer::login(server.addr(), "carol", "iPhone");
    carol.subscribe(&["alice"]);
    assert_eq!(TIMUninit(), 0);
    let st = carol.wait_status("alice", 2, None);
    assert_eq!(
        st.user_status_custom_status, "",
        "custom status cleared on offline"
    );

    // Alice logs in again and logs out: UNLOGINED.
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    carol.wait_status("alice", 1, None);
    assert_eq!(logout(), 0);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    carol.wait_status("alice", 3, None);
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn subscriptions_are_capped_at_200_oldest_evicted() {
    let _g = serial();
    let users: Vec<String> = (0..201).map(|i| format!("u{i}")).collect();
    let mut accounts: Vec<&str> = users.iter().map(String::as_str).collect();
    accounts.push("alice");
    let server = start_server(server_config(&accounts));
    set_listeners();
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    for chunk in users.chunks(100) {
        assert_eq!(
            call(
                TIMSubscribeUserStatus,
                &serde_json::to_string(chunk).expect("json")
            )
            .0,
            0
        );
    }
    // u0 was evicted by the 201st: its change is not reported; u1's is.
    let _u0 = Peer::login(server.addr(), "u0", "Android");
    let _u1 = Peer::login(server.addr(), "u1", "Android");
    wait_change("u1", 1, None);
    let got_u0 = snapshot()
        .iter()
        .any(|r| matches!(r, Rec::Changed(v) if v.to_string().contains("\"u0\"")));
    assert!(!got_u0, "u0 was evicted");
    // Over the per-call limit: refused synchronously.
    let over = serde_json::to_string(&users[..101]).expect("json");
    assert_eq!(
        sync_rc(
            TIMSubscribeUserStatus,
            CString::new(over).expect("json").as_ptr()
        ),
        -4
    );
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn other_devices_of_the_same_account_sync_custom_status() {
    let _g = serial();
    let server = start_server(server_config(&["alice"]));
    set_listeners();
    assert_eq!(
        init(&ws_url(server.addr()), r#""sdk_config_platform":"Windows""#),
        0
    );
    login("alice");
    let mut phone = Peer::login(server.addr(), "alice", "Android");
    phone.set_custom("on my phone");
    let change = wait_change("alice", 1, Some("on my phone"));
    let mut devices: Vec<String> =
        serde_json::from_value(change[0]["user_status_online_devices"].clone()).expect("devices");
    devices.sort();
    assert_eq!(devices, ["Android", "Windows"]);
    // And the other way round.
    assert_eq!(
        call(
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":"at my desk"}"#
        )
        .0,
        0
    );
    phone.wait_status("alice", 1, Some("at my desk"));
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn bad_calls_while_logged_in() {
    let _g = serial();
    let server = start_server(server_config(&["alice", "bob"]));
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    let c = |s: &str| CString::new(s).expect("no NUL");
    let long = "x".repeat(101);
    let cases: Vec<(Call, String, i32)> = vec![
        (TIMSetSelfStatus, "{".into(), -3),
        (TIMSetSelfStatus, "[]".into(), -3),
        (
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":5}"#.into(),
            -3,
        ),
        (
            TIMSetSelfStatus,
            format!(r#"{{"user_status_custom_status":"{long}"}}"#),
            -4,
        ),
        (TIMGetUserStatus, r#"{"a":1}"#.into(), -3),
        (TIMGetUserStatus, "[1]".into(), -3),
        (TIMGetUserStatus, "[]".into(), -4),
        (
            TIMGetUserStatus,
            serde_json::to_string(&vec!["a"; 501]).expect("json"),
            -4,
        ),
        (TIMGetUserStatus, format!(r#"["{}"]"#, "y".repeat(33)), -4),
        (TIMSubscribeUserStatus, "null".into(), -4),
        (TIMUnsubscribeUserStatus, r#"[true]"#.into(), -3),
    ];
    for (f, json, want) in cases {
        assert_eq!(sync_rc(f, c(&json).as_ptr()), want, "{json}");
    }
    for f in [
        TIMSetSelfStatus as Call,
        TIMGetUserStatus,
        TIMSubscribeUserStatus,
    ] {
        assert_eq!(sync_rc(f, std::ptr::null()), -4, "NULL");
    }
    let bad_utf8 = [b'[', b'"', 0xff, b'"', b']', 0];
    assert_eq!(sync_rc(TIMGetUserStatus, bad_utf8.as_ptr().cast()), -4);
    // Exactly 100 bytes of UTF-8 is fine (and multi-byte characters count as bytes).
    assert_eq!(
        call(
            TIMSetSelfStatus,
            &format!(r#"{{"user_status_custom_status":"{}"}}"#, "é".repeat(50))
        )
        .0,
        0
    );
    assert_eq!(
        sync_rc(
            TIMSetSelfStatus,
            c(&format!(
                r#"{{"user_status_custom_status":"{}x"}}"#,
                "é".repeat(50)
            ))
            .as_ptr()
        ),
        -4
    );
    // NULL, "" and "[]" unsubscribe everything.
    assert_eq!(sync_rc(TIMUnsubscribeUserStatus, std::ptr::null()), 0);
    // The server's own verdicts arrive in the callback.
    assert_eq!(
        call(TIMSubscribeUserStatus, r#"["alice"]"#).0,
        6017,
        "cannot subscribe to oneself"
    );
    assert_eq!(
        call(TIMGetUserStatus, r#"["nobody"]"#).0,
        70107,
        "unknown account"
    );
    assert_eq!(TIMUninit(), 0);

    // Login errors: bad signature, unknown account, expired UserSig.
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    assert_eq!(
        result_of(login_start("alice", &sig("bob")), WAIT).0,
        70013,
        "signature of another user"
    );
    assert_eq!(
        result_of(login_start("nobody", &sig("nobody")), WAIT).0,
        70107
    );
    let old = imsdk_usersig::generate_at(APP, KEY, "alice", 60, 1_600_000_000);
    assert_eq!(result_of(login_start("alice", &old), WAIT).0, 70001);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn kicked_offline_and_user_sig_expired_arrive_through_their_callbacks() {
    let _g = serial();
    let mut config = server_config(&["alice"]);
    config.apps[0].login_policy = LoginPolicy::OnePerPlatform;
    let server = start_server(config);
    set_listeners();
    assert_eq!(
        init(&ws_url(server.addr()), r#""sdk_config_platform":"Android""#),
        0
    );
    login("alice");
    let _other = Peer::login(server.addr(), "alice", "Android");
    wait_for("kicked", WAIT, |r| *r == Rec::Kicked);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    assert_eq!(
        sync_rc(
            TIMGetUserStatus,
            CString::new(r#"["a"]"#).expect("c").as_ptr()
        ),
        -2
    );
    assert_eq!(TIMUninit(), 0);

    // A UserSig that expires 2 s after login.
    assert_eq!(
        init(&ws_url(server.addr()), r#""sdk_config_platform":"Windows""#),
        0
    );
    let short = imsdk_usersig::generate(APP, KEY, "alice", 2);
    assert_eq!(result_of(login_start("alice", &short), WAIT).0, 0);
    wait_for("UserSig expired", WAIT, |r| *r == Rec::SigExpired);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    assert_eq!(TIMUninit(), 0);
}
