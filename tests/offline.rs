//! The C ABI without a real server: synchronous error codes, init/uninit, no server (9508 and
//! reconnect attempts), and a scripted server for timeouts (6012), connection loss (9508) and
//! TIMUninit (7009).

mod common;

use common::*;
use imsdk_protocol::{encode, ServerFrame};
use imsdk_testkit::scripted::{read_until_closed, scripted_server};
use std::ffi::{c_char, c_void, CString};
use std::net::TcpListener;
use std::ptr::null;
use std::time::Duration;
use ImSDK::*;

fn cs(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

#[test]
fn every_call_before_init_returns_not_initialised() {
    let _g = serial();
    let ids = cs(r#"["a"]"#);
    let st = cs(r#"{"user_status_custom_status":"x"}"#);
    for f in [
        TIMGetUserStatus as Call,
        TIMSubscribeUserStatus,
        TIMUnsubscribeUserStatus,
        GetUserStatus,
        SubscribeUserStatus,
    ] {
        assert_eq!(
            sync_rc(f, ids.as_ptr()),
            TIMResult::TIM_ERR_SDKUNINIT as i32
        );
    }
    assert_eq!(sync_rc(TIMSetSelfStatus, st.as_ptr()), -1);
    assert_eq!(sync_rc(SetSelfStatus, st.as_ptr()), -1);
    let (u, s) = (cs("a"), cs("sig"));
    assert_eq!(
        unsafe { TIMLogin(u.as_ptr(), s.as_ptr(), Some(on_result), null()) },
        -1
    );
    assert_eq!(unsafe { TIMLogout(Some(on_result), null()) }, -1);
    assert_eq!(TIMUninit(), -1);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    let mut buf = [0 as c_char; 128];
    assert_eq!(unsafe { TIMGetLoginUserID(buf.as_mut_ptr()) }, -1);
    assert_eq!(TIMDispatchCallbacks(), 0);
    assert!(TIMGetServerTime() > 1_600_000_000);
    assert!(!TIMGetSDKVersion().is_null());
    assert_eq!(
        unsafe { callExperimentalAPI(null(), Some(on_result), null()) },
        -1,
        "before TIMInit: refused, no callback"
    );
    assert!(
        snapshot().is_empty(),
        "no callback for refused calls: {:?}",
        snapshot()
    );
}

#[test]
fn init_checks_its_config() {
    let _g = serial();
    let bad_json = [
        "{",
        "[1]",
        r#"{"sdk_config_manual_dispatch":"yes"}"#,
        r#"{"sdk_config_server_url":5}"#,
        r#"{"sdk_config_log_file_path":[]}"#,
        r#"{"sdk_config_request_timeout_ms":"1"}"#,
    ];
    for j in bad_json {
        assert_eq!(
            unsafe { TIMInit(APP, cs(j).as_ptr()) },
            TIMResult::TIM_ERR_JSON as i32,
            "{j}"
        );
    }
    assert_eq!(
        unsafe {
            TIMInit(
                APP,
                cs(r#"{"sdk_config_server_url":"http://x/ws"}"#).as_ptr(),
            )
        },
        -4
    );
    assert_eq!(unsafe { TIMInit(0, null()) }, -4);
    let invalid_utf8 = [0x7b_u8, 0xff, 0x7d, 0];
    assert_eq!(unsafe { TIMInit(APP, invalid_utf8.as_ptr().cast()) }, -4);
    assert_eq!(TIMUninit(), -1, "nothing was initialised");
    // Tencent's keys and unknown keys are accepted; NULL and "" too. Init/Uninit repeat.
    for j in [
        r#"{"sdk_config_config_file_path":"/tmp/x","sdk_config_log_file_path":"/tmp/y","other":{"a":1}}"#,
        "",
    ] {
        assert_eq!(unsafe { TIMInit(APP, cs(j).as_ptr()) }, 0);
        assert_eq!(
            unsafe { TIMInit(APP, cs(j).as_ptr()) },
            0,
            "second init keeps the instance"
        );
        assert_eq!(TIMUninit(), 0);
    }
    assert_eq!(unsafe { TIMInit(APP, null()) }, 0);
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn bad_arguments_are_refused_synchronously() {
    let _g = serial();
    assert_eq!(init("ws://127.0.0.1:9/ws", ""), 0);
    let long_id = "x".repeat(33);
    let cases: [(&str, &str, i32); 5] = [
        ("", "sig", -4),
        (&long_id, "sig", -4),
        ("a", "", -4),
        ("a", &"s".repeat(9000), -4),
        ("a\u{1}", "sig", 0),
    ];
    for (u, s, want) in cases {
        let rc = unsafe { TIMLogin(cs(u).as_ptr(), cs(s).as_ptr(), None, null()) };
        assert_eq!(rc, want, "login {u:?}");
        if rc == 0 {
            assert_eq!(TIMUninit(), 0);
            assert_eq!(init("ws://127.0.0.1:9/ws", ""), 0);
        }
    }
    assert_eq!(
        unsafe { TIMLogin(null(), cs("s").as_ptr(), None, null()) },
        -4
    );
    assert_eq!(
        unsafe { TIMLogin(cs("a").as_ptr(), null(), None, null()) },
        -4
    );
    let bad = [0x61_u8, 0xc3, 0x28, 0];
    assert_eq!(
        unsafe { TIMLogin(bad.as_ptr().cast(), cs("s").as_ptr(), None, null()) },
        -4
    );
    // Not logged in: -2 for every status call and logout.
    let ids = cs(r#"["a"]"#);
    assert_eq!(sync_rc(TIMGetUserStatus, ids.as_ptr()), -2);
    assert_eq!(sync_rc(TIMSubscribeUserStatus, ids.as_ptr()), -2);
    assert_eq!(sync_rc(TIMUnsubscribeUserStatus, null()), -2);
    assert_eq!(sync_rc(TIMSetSelfStatus, cs("{}").as_ptr()), -2);
    assert_eq!(unsafe { TIMLogout(None, null()) }, -2);
    let mut buf = [0 as c_char; 128];
    assert_eq!(unsafe { TIMGetLoginUserID(buf.as_mut_ptr()) }, -2);
    assert_eq!(unsafe { TIMGetLoginUserID(std::ptr::null_mut()) }, -4);
    assert_eq!(TIMUninit(), 0);
    assert!(
        snapshot().is_empty(),
        "no callback for refused calls: {:?}",
        snapshot()
    );
}

#[test]
fn login_without_a_server_fails_with_9508() {
    let _g = serial();
    set_listeners();
    // A port with nothing behind it.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    assert_eq!(init(&format!("ws://127.0.0.1:{port}/ws"), ""), 0);
    let tag = login_start("alice", &sig("alice"));
    let (code, desc, json) = result_of(tag, WAIT);
    assert_eq!((code, json.as_str()), (9508, ""), "{desc}");
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    let recs = take_all();
    assert_eq!(
        recs,
        vec![
            Rec::Network {
                status: TIMNetworkStatus::kTIMConnecting,
                code: 0
            },
            Rec::Network {
                status: TIMNetworkStatus::kTIMConnectFailed,
                code: 9508
            },
        ],
        "network events come first, in order"
    );
    assert_eq!(TIMUninit(), 0);
    assert_eq!(results_with(tag), 0, "exactly once");
}

#[test]
fn unanswered_request_times_out_with_6012_then_uninit_interrupts_with_7009() {
    let _g = serial();
    let (url, server) = scripted_server(400, read_until_closed);
    assert_eq!(init(&url, r#""sdk_config_request_timeout_ms":300"#), 0);
    login("alice");
    assert!(
        TIMGetServerTime().abs_diff(1_700_000_000) < 5,
        "server time from the login reply"
    );
    let mut buf = [0 as c_char; 128];
    assert_eq!(unsafe { TIMGetLoginUserID(buf.as_mut_ptr()) }, 0);
    assert_eq!(
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_str(),
        Ok("alice")
    );
    let (code, json) = call(TIMGetUserStatus, r#"["bob"]"#);
    assert_eq!((code, json.as_str()), (6012, ""));
    TIMUninit();
    init(&url, ""); // the scripted server only serves one connection: this one fails later
    TIMUninit();
    server.join().expect("server thread");

    // 7009: pending when TIMUninit runs; the callback runs before TIMUninit returns.
    let (url, server) = scripted_server(400, read_until_closed);
    assert_eq!(init(&url, ""), 0);
    login("alice");
    let tag = start(TIMSubscribeUserStatus, r#"["bob"]"#);
    assert_eq!(TIMUninit(), 0);
    let recs = take_all();
    let results: Vec<_> = recs
        .iter()
        .filter(|r| matches!(r, Rec::Result { tag: t, .. } if *t == tag))
        .collect();
    assert_eq!(results.len(), 1, "{recs:?}");
    assert!(
        matches!(results[0], Rec::Result { code: 7009, .. }),
        "{results:?}"
    );
    server.join().expect("server thread");
}

#[test]
fn connection_loss_fails_pending_with_9508_and_reconnects() {
    let _g = serial();
    set_listeners();
    // The server drops the connection when the first request arrives.
    let (url, server) = scripted_server(400, |ws| {
        let _ = ws.read();
    });
    assert_eq!(
        init(
            &url,
            r#""sdk_config_reconnect_min_ms":50,"sdk_config_reconnect_max_ms":100"#
        ),
        0
    );
    login("alice");
    let (code, _) = call(TIMSetSelfStatus, r#"{"user_status_custom_status":"x"}"#);
    assert_eq!(code, 9508);
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_Logined,
        "still logged in while reconnecting"
    );
    server.join().expect("server thread");
    // Nobody listens any more: the library keeps trying (with backoff) and says so.
    wait_network(TIMNetworkStatus::kTIMConnecting);
    assert_eq!(wait_network(TIMNetworkStatus::kTIMConnectFailed), 9508);
    wait_network(TIMNetworkStatus::kTIMConnecting);
    let (code, _) = call(TIMGetUserStatus, r#"["bob"]"#);
    assert_eq!(code, 9508, "requests while disconnected fail at once");
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn heartbeats_follow_the_announced_timeout_and_silence_means_dead() {
    let _g = serial();
    set_listeners();
    // Heartbeat timeout 1 s: the library must heartbeat about every 333 ms. The server counts
    // heartbeats, then stops answering: the library must declare the connection dead.
    let (tx, rx) = std::sync::mpsc::channel();
    let (url, server) = scripted_server(1, move |ws| {
        let started = std::time::Instant::now();
        let mut beats = 0;
        while beats < 3 {
            let msg = ws.read().expect("heartbeat");
            let v: serde_json::Value =
                serde_json::from_str(msg.to_text().expect("text")).expect("json");
            assert_eq!(v["op"], "heartbeat");
            beats += 1;
            let reply = ServerFrame::Reply {
                id: v["id"].as_u64().expect("id"),
                code: 0,
                desc: String::new(),
                data: None,
            };
            ws.send(tungstenite::Message::text(encode(&reply)))
                .expect("send");
        }
        tx.send(started.elapsed()).expect("report");
        read_until_closed(ws);
    });
    assert_eq!(init(&url, r#""sdk_config_reconnect_min_ms":60000"#), 0);
    login("alice");
    let three = rx.recv_timeout(WAIT).expect("three heartbeats");
    assert!(
        three >= Duration::from_millis(900) && three < Duration::from_millis(2500),
        "3 heartbeats took {three:?}"
    );
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    assert_eq!(TIMUninit(), 0);
    server.join().expect("server thread");
}

static MANUAL_THREAD: std::sync::Mutex<Option<std::thread::ThreadId>> = std::sync::Mutex::new(None);

unsafe extern "C" fn note_thread(_c: i32, _d: *const c_char, _j: *const c_char, _u: *const c_void) {
    *MANUAL_THREAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(std::thread::current().id());
}

#[test]
fn manual_dispatch_runs_callbacks_on_the_pumping_thread() {
    let _g = serial();
    assert_eq!(
        init(
            "ws://127.0.0.1:9/ws",
            r#""sdk_config_manual_dispatch":true"#
        ),
        0
    );
    assert_eq!(
        unsafe {
            TIMLogin(
                cs("a").as_ptr(),
                cs("s").as_ptr(),
                Some(note_thread),
                null(),
            )
        },
        0
    );
    let deadline = std::time::Instant::now() + WAIT;
    let mut ran = 0;
    // The login fails (nothing on port 9); its callback waits for the pump. No listener is set,
    // so the only host callback is the login's.
    while ran == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "callback never queued"
        );
        ran = TIMDispatchCallbacks();
        std::thread::yield_now();
    }
    assert_eq!(ran, 1, "{:?}", snapshot());
    let ran_on = *MANUAL_THREAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    assert_eq!(ran_on, Some(std::thread::current().id()));
    assert_eq!(TIMUninit(), 0);
}

unsafe extern "C" fn uninit_inside(
    _code: i32,
    _d: *const c_char,
    _j: *const c_char,
    ud: *const c_void,
) {
    // Re-entrancy: calling back into the library from a callback, TIMUninit included. The three
    // results are reported as one number: status * 1 + TIMUninit * 1000 + TIMLogout * 100.
    let status = TIMGetLoginStatus() as i32;
    let rc = TIMUninit();
    let rc_after = unsafe { TIMLogout(None, null()) };
    unsafe {
        on_result(
            rc * 1000 + rc_after * 100 + status,
            c"".as_ptr(),
            c"".as_ptr(),
            ud,
        )
    };
}

#[test]
fn a_callback_may_call_uninit() {
    let _g = serial();
    assert_eq!(init("ws://127.0.0.1:9/ws", ""), 0);
    let tag = new_tag();
    assert_eq!(
        unsafe {
            TIMLogin(
                cs("a").as_ptr(),
                cs("s").as_ptr(),
                Some(uninit_inside),
                tag as *const c_void,
            )
        },
        0
    );
    let (code, _, _) = result_of(tag, WAIT);
    // TIMUninit → 0, TIMLogout after it → -1, status UnLogined (3).
    assert_eq!(code, -100 + 3);
    assert_eq!(TIMUninit(), -1);
    // And the SDK starts again.
    assert_eq!(init("ws://127.0.0.1:9/ws", ""), 0);
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn many_threads_calling_at_once_each_get_one_answer() {
    let _g = serial();
    let (url, server) = scripted_server(400, read_until_closed);
    assert_eq!(init(&url, r#""sdk_config_request_timeout_ms":500"#), 0);
    login("alice");
    let tags: Vec<usize> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    (0..50)
                        .map(|_| start(TIMGetUserStatus, r#"["b"]"#))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    for &t in &tags {
        assert_eq!(result_of(t, WAIT).0, 6012);
    }
    assert_eq!(TIMUninit(), 0);
    for &t in &tags {
        assert_eq!(results_with(t), 0, "exactly once");
    }
    server.join().expect("server thread");
}

#[test]
fn exports_touched_by_tencents_csharp_layer_are_harmless() {
    let _g = serial();
    assert_eq!(init("ws://127.0.0.1:9/ws", ""), 0);
    let tag = new_tag();
    let json = cs(r#"{"request_internal_operation":"internal_operation_set_ui_platform"}"#);
    assert_eq!(
        unsafe { callExperimentalAPI(json.as_ptr(), Some(on_result), tag as *const c_void) },
        0
    );
    assert_eq!(result_of(tag, WAIT).0, 0);
    let tag = new_tag();
    assert_eq!(
        unsafe { TIMSetConfig(cs("{}").as_ptr(), Some(on_result), tag as *const c_void) },
        0
    );
    assert_eq!(result_of(tag, WAIT).0, 0);
    unsafe extern "C" fn any() {}
    TIMSetConvEventCallback(Some(any), null());
    TIMSetLogCallback(None, null());
    TIMAddRecvNewMsgCallback(Some(any), null());
    TIMRemoveRecvNewMsgCallback(Some(any));
    assert_eq!(TIMUninit(), 0);
    assert!(snapshot().is_empty(), "{:?}", snapshot());
}

#[test]
fn uninit_does_not_wait_for_a_hanging_handshake() {
    let _g = serial();
    // Accepts the TCP connection and never answers the WebSocket handshake.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = ws_url(listener.local_addr().expect("addr"));
    let holder = std::thread::spawn(move || listener.accept().map(|(tcp, _)| tcp));
    assert_eq!(init(&url, r#""sdk_config_request_timeout_ms":20000"#), 0);
    let tag = login_start("alice", &sig("alice"));
    let _held = holder.join().expect("accept thread").expect("accepted");
    // Calls keep being served while the handshake hangs.
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_Logining
    );
    let again = login_start("alice", &sig("alice"));
    assert_eq!(result_of(again, WAIT).0, 7501, "login in progress");
    let started = std::time::Instant::now();
    assert_eq!(TIMUninit(), 0);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "TIMUninit took {:?}",
        started.elapsed()
    );
    assert_eq!(result_of(tag, Duration::ZERO).0, 7009);
}
