//! Hostile input through the C ABI, table-driven: each bad argument gets its documented
//! synchronous code, no callback, and changes nothing on the server. (NULL, invalid UTF-8, wrong
//! types, 33-byte ids, 101-byte statuses and 501 ids are in tests/status.rs
//! `bad_calls_while_logged_in` and tests/offline.rs `bad_arguments_are_refused_synchronously`;
//! this file adds nesting, sizes and numbers out of range.)

mod common;

use common::*;
use std::ffi::{c_char, CString};
use ImSDK::*;

#[test]
fn config_numbers_out_of_range_are_refused_not_overflowed() {
    let _g = serial();
    for key in [
        "sdk_config_request_timeout_ms",
        "sdk_config_reconnect_min_ms",
        "sdk_config_reconnect_max_ms",
    ] {
        for value in [
            "18446744073709551615",
            "86400001",
            "1e30",
            "-1",
            "1.5",
            "\"5\"",
        ] {
            let want = if value.starts_with('"') || value.contains(['.', 'e', '-']) {
                -3
            } else {
                -4
            };
            assert_eq!(
                init("ws://127.0.0.1:9/ws", &format!(r#""{key}":{value}"#)),
                want,
                "{key}={value}"
            );
        }
        // The largest value accepted (one day) still works end to end.
        assert_eq!(
            init("ws://127.0.0.1:9/ws", &format!(r#""{key}":86400000"#)),
            0
        );
        assert_eq!(TIMUninit(), 0);
    }
}

#[test]
fn largest_timeouts_do_not_overflow_in_a_session() {
    let _g = serial();
    let server = start_server(server_config(&["alice", "bob"]));
    let day = r#""sdk_config_request_timeout_ms":86400000,"sdk_config_reconnect_min_ms":86400000,"sdk_config_reconnect_max_ms":86400000"#;
    assert_eq!(init(&ws_url(server.addr()), day), 0);
    login("alice");
    assert_eq!(call(TIMGetUserStatus, r#"["bob"]"#).0, 0);
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn nested_huge_and_odd_json_is_refused_and_changes_nothing() {
    let _g = serial();
    let server = start_server(server_config(&["alice", "bob"]));
    let mut bob = Peer::login(server.addr(), "bob", "Linux");
    set_listeners();
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    assert_eq!(
        call(
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":"before"}"#
        )
        .0,
        0
    );
    let deep_array = "[".repeat(30_000) + &"]".repeat(30_000);
    let deep_object = r#"{"a":"#.repeat(10_000) + "1" + &"}".repeat(10_000);
    let huge = format!(r#"["{}"]"#, "x".repeat(70_000));
    let many: String = serde_json::to_string(&vec!["bob"; 501]).expect("json");
    let cases: Vec<(Call, &str, String, i32)> = vec![
        (TIMSetSelfStatus, "deep array", deep_array.clone(), -3),
        (TIMSetSelfStatus, "deep object", deep_object.clone(), -3),
        (
            TIMSetSelfStatus,
            "over 64 KiB",
            format!(
                r#"{{"user_status_custom_status":"{}"}}"#,
                "x".repeat(70_000)
            ),
            -4,
        ),
        (
            TIMSetSelfStatus,
            "truncated",
            r#"{"user_status_custom_status":"aft"#.into(),
            -3,
        ),
        (TIMSetSelfStatus, "number", "42".into(), -3),
        (
            TIMSetSelfStatus,
            "lone surrogate",
            r#"{"user_status_custom_status":"\ud800"}"#.into(),
            -3,
        ),
        (TIMGetUserStatus, "deep array", deep_array.clone(), -3),
        (TIMGetUserStatus, "over 64 KiB", huge.clone(), -4),
        (TIMGetUserStatus, "truncated", r#"["bob""#.into(), -3),
        (TIMGetUserStatus, "501 ids", many.clone(), -4),
        (TIMGetUserStatus, "nested id", r#"[["bob"]]"#.into(), -3),
        (TIMGetUserStatus, "object", r#"{"0":"bob"}"#.into(), -3),
        (
            TIMSubscribeUserStatus,
            "deep object",
            deep_object.clone(),
            -3,
        ),
        (
            TIMSubscribeUserStatus,
            "101 ids",
            serde_json::to_string(&vec!["bob"; 101]).expect("json"),
            -4,
        ),
        (
            TIMSubscribeUserStatus,
            "number id",
            "[18446744073709551616]".into(),
            -3,
        ),
        (TIMUnsubscribeUserStatus, "deep array", deep_array, -3),
        (TIMUnsubscribeUserStatus, "string", r#""bob""#.into(), -3),
    ];
    for (f, what, json, want) in &cases {
        let c = CString::new(json.as_str()).expect("no NUL");
        assert_eq!(sync_rc(*f, c.as_ptr() as *const c_char), *want, "{what}");
    }
    // Nothing changed: alice's status and bob's view of it, and no callback for the refusals.
    let alice = &query(&["alice"])[0];
    assert_eq!(alice["user_status_custom_status"], "before");
    let (code, data) = bob.request(|id| imsdk_protocol::ClientFrame::GetUserStatus {
        id,
        user_ids: vec!["alice".into()],
    });
    assert_eq!(code, 0);
    assert_eq!(
        data.expect("data")[0]["user_status_custom_status"],
        "before"
    );
    assert!(
        !snapshot().iter().any(|r| matches!(r, Rec::Result { .. })),
        "no callback for a refused call: {:?}",
        snapshot()
    );
    assert_eq!(TIMUninit(), 0);
}

/// A hostile or broken server announcing an absurd heartbeat timeout: the library clamps it
/// instead of overflowing, and keeps working.
#[test]
fn absurd_heartbeat_timeout_from_a_server_does_not_overflow() {
    use imsdk_protocol::{encode, LoginReply, ServerFrame};
    let _g = serial();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = ws_url(listener.local_addr().expect("addr"));
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let mut ws = tungstenite::accept(tcp).expect("ws accept");
        let mut answered = 0;
        while answered < 2 {
            let Ok(msg) = ws.read() else { return };
            let Ok(text) = msg.to_text() else { continue };
            let v: serde_json::Value = serde_json::from_str(text).expect("json");
            let data = if v["op"] == "login" {
                serde_json::to_value(LoginReply {
                    version: 1,
                    heartbeat_timeout_s: u64::MAX,
                    server_time: 1_700_000_000,
                    limits: None,
                })
                .ok()
            } else {
                Some(serde_json::json!([]))
            };
            let reply = ServerFrame::Reply {
                id: v["id"].as_u64().expect("id"),
                code: 0,
                desc: String::new(),
                data,
            };
            ws.send(tungstenite::Message::text(encode(&reply)))
                .expect("send");
            answered += 1;
        }
        while ws.read().is_ok() {}
    });
    assert_eq!(init(&url, ""), 0);
    login("alice");
    assert_eq!(call(TIMGetUserStatus, r#"["bob"]"#), (0, "[]".to_owned()));
    assert_eq!(TIMUninit(), 0);
    server.join().expect("server thread");
}
