//! Issue 14's edges of the C API: any JSON empty array clears the subscription list (finding 3);
//! every string a callback receives is non-NULL (finding 6); `TIMSetConfig` and
//! `callExperimentalAPI` answer through their callback; limits come from the server (finding 7).

mod common;

use common::*;
use std::ffi::{c_char, c_void, CString};
use std::ptr::null;
use std::sync::atomic::{AtomicUsize, Ordering};
use ImSDK::*;

fn cs(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

/// Subscribes to carol, then bob and carol both change: carol's change arrives after bob's would
/// have (one session, one ordered queue), so hearing carol without bob proves bob is not followed.
fn assert_not_following_bob(bob: &mut Peer, carol: &mut Peer, round: &str) {
    assert_eq!(call(TIMSubscribeUserStatus, r#"["carol"]"#).0, 0);
    bob.set_custom(&format!("bob {round}"));
    carol.set_custom(&format!("carol {round}"));
    wait_change("carol", 1, Some(&format!("carol {round}")));
    let heard_bob = take_all().into_iter().any(|r| match r {
        Rec::Changed(v) => v.to_string().contains("\"bob\""),
        _ => false,
    });
    assert!(!heard_bob, "{round}: still following bob");
}

#[test]
fn any_empty_json_array_unsubscribes_everything() {
    let _g = serial();
    let server = start_server(server_config(&["alice", "bob", "carol"]));
    set_listeners();
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    let mut bob = Peer::login(server.addr(), "bob", "Android");
    let mut carol = Peer::login(server.addr(), "carol", "Android");
    for (i, empty) in ["[ ]", "[\n]", " [\t\r\n] ", "[]"].into_iter().enumerate() {
        assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);
        bob.set_custom(&format!("heard {i}"));
        wait_change("bob", 1, Some(&format!("heard {i}")));
        // Was -4 for "[ ]" and "[\n]": only the literal text "[]" cleared the list.
        assert_eq!(
            call(TIMUnsubscribeUserStatus, empty),
            (0, String::new()),
            "{empty:?}"
        );
        assert_not_following_bob(&mut bob, &mut carol, &format!("{empty:?}"));
    }
    assert_eq!(TIMUninit(), 0);
}

// ---- finding 6: no NULL string reaches a callback ----------------------------------------------

static CALLS: AtomicUsize = AtomicUsize::new(0);
static NULLS: AtomicUsize = AtomicUsize::new(0);

fn check(p: *const c_char) {
    CALLS.fetch_add(1, Ordering::SeqCst);
    if p.is_null() {
        NULLS.fetch_add(1, Ordering::SeqCst);
    }
}

unsafe extern "C" fn strict_result(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    check(desc);
    check(json);
    // Recorded with non-NULL stand-ins so that the waits below still work.
    let (d, j) = (
        if desc.is_null() { c"".as_ptr() } else { desc },
        if json.is_null() { c"".as_ptr() } else { json },
    );
    unsafe { on_result(code, d, j, ud) }
}

unsafe extern "C" fn strict_network(
    _s: TIMNetworkStatus,
    _code: i32,
    desc: *const c_char,
    _ud: *const c_void,
) {
    check(desc);
}

unsafe extern "C" fn strict_status(json: *const c_char, _ud: *const c_void) {
    check(json);
}

/// Calls `f(json, strict_result, tag)` and waits for its code.
fn strict_call(f: Call, json: Option<&str>) -> i32 {
    let tag = new_tag();
    let c = json.map(cs);
    let p = c.as_ref().map_or(null(), |c| c.as_ptr());
    assert_eq!(
        unsafe { f(p, Some(strict_result), tag as *const c_void) },
        0
    );
    result_of(tag, WAIT).0
}

#[test]
fn no_callback_ever_receives_a_null_string() {
    let _g = serial();
    let server = start_server(server_config(&["alice", "bob"]));
    CALLS.store(0, Ordering::SeqCst);
    NULLS.store(0, Ordering::SeqCst);
    TIMSetNetworkStatusListenerCallback(Some(strict_network), null());
    TIMSetUserStatusChangedCallback(Some(strict_status), null());
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    let login_with = |user: &str, user_sig: &str| {
        let tag = new_tag();
        let (u, s) = (cs(user), cs(user_sig));
        assert_eq!(
            unsafe {
                TIMLogin(
                    u.as_ptr(),
                    s.as_ptr(),
                    Some(strict_result),
                    tag as *const c_void,
                )
            },
            0
        );
        result_of(tag, WAIT).0
    };
    assert_ne!(login_with("alice", "bad-signature"), 0);
    assert_eq!(login_with("alice", &sig("alice")), 0);
    assert_eq!(login_with("alice", &sig("alice")), 0, "already logged in");
    let status = Some(r#"{"user_status_custom_status":"x"}"#);
    let ids = Some(r#"["bob"]"#);
    for (f, json, want) in [
        (TIMSetSelfStatus as Call, status, 0),
        (SetSelfStatus, status, 0),
        (TIMGetUserStatus, ids, 0),
        (GetUserStatus, ids, 0),
        (TIMSubscribeUserStatus, ids, 0),
        (SubscribeUserStatus, ids, 0),
        (TIMSubscribeUserStatus, Some(r#"["alice"]"#), 6017),
        (TIMUnsubscribeUserStatus, ids, 0),
        (UnsubscribeUserStatus, None, 0),
        (TIMSetConfig, Some("{}"), 0),
        (callExperimentalAPI, Some("{}"), -1),
        (TIMCallExperimentalAPI, None, -1),
    ] {
        let code = strict_call(f, json);
        if want >= 0 {
            assert_eq!(code, want, "{json:?}");
        } else {
            assert_ne!(code, 0, "unsupported: an error code");
        }
    }
    let tag = new_tag();
    assert_eq!(
        unsafe { TIMLogout(Some(strict_result), tag as *const c_void) },
        0
    );
    assert_eq!(result_of(tag, WAIT).0, 0);
    // 7009: interrupted by TIMUninit.
    assert_eq!(login_with("alice", &sig("alice")), 0);
    let tag = new_tag();
    let j = cs(r#"["bob"]"#);
    assert_eq!(
        unsafe { TIMGetUserStatus(j.as_ptr(), Some(strict_result), tag as *const c_void) },
        0
    );
    assert_eq!(TIMUninit(), 0);
    let calls = CALLS.load(Ordering::SeqCst);
    assert!(calls >= 30, "{calls} strings checked");
    assert_eq!(
        NULLS.load(Ordering::SeqCst),
        0,
        "NULL strings out of {calls}"
    );
    println!("FIGURES: {calls} callback strings checked, none NULL");
}

// ---- finding 7: the app's limits come from the server ------------------------------------------

#[test]
fn limits_announced_by_the_server_apply_both_ways() {
    let _g = serial();
    let ids = |n: usize| {
        serde_json::to_string(&(0..n).map(|i| format!("u{i}")).collect::<Vec<_>>()).expect("json")
    };
    let custom = |n: usize| format!(r#"{{"user_status_custom_status":"{}"}}"#, "x".repeat(n));
    // Raised: what Tencent's defaults refuse locally goes through to the server.
    let accounts: Vec<String> = (0..600)
        .map(|i| format!("u{i}"))
        .chain(["alice".into()])
        .collect();
    let mut config = server_config(&accounts.iter().map(String::as_str).collect::<Vec<_>>());
    let limits = &mut config.apps[0].limits;
    (
        limits.custom_status_max_bytes,
        limits.get_max_ids,
        limits.subscribe_max_ids,
    ) = (200, 600, 150);
    let server = start_server(config);
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    assert_eq!(call(TIMSetSelfStatus, &custom(150)).0, 0);
    assert_eq!(sync_rc(TIMSetSelfStatus, cs(&custom(201)).as_ptr()), -4);
    let (code, json) = call(TIMGetUserStatus, &ids(600));
    assert_eq!(code, 0, "{json}");
    assert_eq!(sync_rc(TIMGetUserStatus, cs(&ids(601)).as_ptr()), -4);
    assert_eq!(sync_rc(TIMSubscribeUserStatus, cs(&ids(150)).as_ptr()), 0);
    assert_eq!(sync_rc(TIMSubscribeUserStatus, cs(&ids(151)).as_ptr()), -4);
    assert_eq!(logout(), 0);
    assert_eq!(TIMUninit(), 0);
    drop(server);
    // Lowered: refused locally, synchronously.
    let mut config = server_config(&["alice"]);
    let limits = &mut config.apps[0].limits;
    (
        limits.custom_status_max_bytes,
        limits.get_max_ids,
        limits.subscribe_max_ids,
    ) = (5, 2, 2);
    let server = start_server(config);
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    assert_eq!(sync_rc(TIMSetSelfStatus, cs(&custom(6)).as_ptr()), -4);
    assert_eq!(sync_rc(TIMGetUserStatus, cs(&ids(3)).as_ptr()), -4);
    assert_eq!(sync_rc(TIMSubscribeUserStatus, cs(&ids(3)).as_ptr()), -4);
    assert_eq!(sync_rc(TIMUnsubscribeUserStatus, cs(&ids(3)).as_ptr()), -4);
    assert_eq!(call(TIMSetSelfStatus, &custom(5)).0, 0);
    assert_eq!(TIMUninit(), 0);
}
