//! The library under test through its C ABI: calls the exported functions exactly as C would and
//! records every callback. The library is one per process: the tests of a binary hold [`serial`]
//! for their whole run.

use crate::dev::{sig, APP};
use std::ffi::{c_char, c_void, CStr, CString};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use ImSDK::*;

pub const WAIT: Duration = Duration::from_secs(10);

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests of one binary (the SDK is a process-wide singleton) and leaves the SDK
/// uninitialised and the recorder empty.
pub fn serial() -> MutexGuard<'static, ()> {
    let g = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    TIMUninit();
    clear_listeners();
    take_all();
    CALLBACK_THREADS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    g
}

// ---- callback recorder ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum Rec {
    Result {
        tag: usize,
        code: i32,
        desc: String,
        json: String,
    },
    Network {
        status: TIMNetworkStatus,
        code: i32,
    },
    Kicked,
    SigExpired,
    Changed(serde_json::Value),
}

static RECORDS: Mutex<Vec<Rec>> = Mutex::new(Vec::new());
static RECORDED: Condvar = Condvar::new();
static NEXT_TAG: AtomicUsize = AtomicUsize::new(1);

/// The threads callbacks ran on since the last [`serial`].
pub static CALLBACK_THREADS: Mutex<Vec<std::thread::ThreadId>> = Mutex::new(Vec::new());

fn record(r: Rec) {
    let mut threads = CALLBACK_THREADS
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let me = std::thread::current().id();
    if !threads.contains(&me) {
        threads.push(me);
    }
    drop(threads);
    RECORDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(r);
    RECORDED.notify_all();
}

unsafe fn text(p: *const c_char) -> String {
    assert!(!p.is_null(), "the library passed a NULL string");
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("UTF-8 from the library")
        .to_owned()
}

pub unsafe extern "C" fn on_result(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    record(Rec::Result {
        tag: ud as usize,
        code,
        desc: unsafe { text(desc) },
        json: unsafe { text(json) },
    });
}

unsafe extern "C" fn on_network(
    status: TIMNetworkStatus,
    code: i32,
    _desc: *const c_char,
    _ud: *const c_void,
) {
    record(Rec::Network { status, code });
}

unsafe extern "C" fn on_kicked(_ud: *const c_void) {
    record(Rec::Kicked);
}

unsafe extern "C" fn on_expired(_ud: *const c_void) {
    record(Rec::SigExpired);
}

unsafe extern "C" fn on_changed(json: *const c_char, _ud: *const c_void) {
    let v = serde_json::from_str(&unsafe { text(json) }).expect("status change is JSON");
    record(Rec::Changed(v));
}

pub fn set_listeners() {
    TIMSetNetworkStatusListenerCallback(Some(on_network), std::ptr::null());
    TIMSetKickedOfflineCallback(Some(on_kicked), std::ptr::null());
    TIMSetUserSigExpiredCallback(Some(on_expired), std::ptr::null());
    TIMSetUserStatusChangedCallback(Some(on_changed), std::ptr::null());
}

pub fn clear_listeners() {
    TIMSetNetworkStatusListenerCallback(None, std::ptr::null());
    TIMSetKickedOfflineCallback(None, std::ptr::null());
    TIMSetUserSigExpiredCallback(None, std::ptr::null());
    TIMSetUserStatusChangedCallback(None, std::ptr::null());
}

pub fn take_all() -> Vec<Rec> {
    std::mem::take(&mut *RECORDS.lock().unwrap_or_else(PoisonError::into_inner))
}

pub fn snapshot() -> Vec<Rec> {
    RECORDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Waits until a record matches `pred`, removes and returns it (records before it stay).
pub fn wait_for(what: &str, timeout: Duration, mut pred: impl FnMut(&Rec) -> bool) -> Rec {
    let deadline = Instant::now() + timeout;
    let mut recs = RECORDS.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(i) = recs.iter().position(&mut pred) {
            return recs.remove(i);
        }
        let now = Instant::now();
        assert!(
            now < deadline,
            "timed out waiting for {what}; records: {:?}",
            *recs
        );
        recs = RECORDED
            .wait_timeout(recs, deadline - now)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Waits for the result of the call made with `tag`: (code, desc, json).
pub fn result_of(tag: usize, timeout: Duration) -> (i32, String, String) {
    match wait_for(
        &format!("result of call {tag}"),
        timeout,
        |r| matches!(r, Rec::Result { tag: t, .. } if *t == tag),
    ) {
        Rec::Result {
            code, desc, json, ..
        } => (code, desc, json),
        _ => unreachable!(),
    }
}

/// How many results with `tag` were recorded so far.
pub fn results_with(tag: usize) -> usize {
    snapshot()
        .iter()
        .filter(|r| matches!(r, Rec::Result { tag: t, .. } if *t == tag))
        .count()
}

pub fn new_tag() -> usize {
    NEXT_TAG.fetch_add(1, Ordering::Relaxed)
}

pub type Call = unsafe extern "C" fn(*const c_char, TIMCommCallback, *const c_void) -> i32;

/// Calls `f(json, on_result, tag)`, asserts it returned `TIM_SUCC`, returns the tag.
pub fn start(f: Call, json: &str) -> usize {
    let tag = new_tag();
    let c = CString::new(json).expect("no NUL");
    let rc = unsafe { f(c.as_ptr(), Some(on_result), tag as *const c_void) };
    assert_eq!(rc, 0, "call with {json} returned {rc}");
    tag
}

/// Calls and waits for the callback: (code, json).
pub fn call(f: Call, json: &str) -> (i32, String) {
    let (code, _, json) = result_of(start(f, json), WAIT);
    (code, json)
}

/// The synchronous return of `f(json)` with a recording callback.
pub fn sync_rc(f: Call, json: *const c_char) -> i32 {
    unsafe { f(json, Some(on_result), new_tag() as *const c_void) }
}

// ---- SDK helpers --------------------------------------------------------------------------

pub fn init(url: &str, extra: &str) -> i32 {
    let sep = if extra.is_empty() { "" } else { "," };
    let cfg = CString::new(format!(
        r#"{{"sdk_config_server_url":"{url}"{sep}{extra}}}"#
    ))
    .expect("no NUL");
    unsafe { TIMInit(APP, cfg.as_ptr()) }
}

pub fn login_start(user: &str, user_sig: &str) -> usize {
    let tag = new_tag();
    let (u, s) = (
        CString::new(user).expect("no NUL"),
        CString::new(user_sig).expect("no NUL"),
    );
    let rc = unsafe {
        TIMLogin(
            u.as_ptr(),
            s.as_ptr(),
            Some(on_result),
            tag as *const c_void,
        )
    };
    assert_eq!(rc, 0, "TIMLogin returned {rc}");
    tag
}

/// Logs in and asserts success.
pub fn login(user: &str) {
    let (code, desc, _) = result_of(login_start(user, &sig(user)), WAIT);
    assert_eq!(code, 0, "login of {user} failed: {desc}");
    assert_eq!(TIMGetLoginStatus(), TIMLoginStatus::kTIMLoginStatus_Logined);
}

pub fn logout() -> i32 {
    let tag = new_tag();
    let rc = unsafe { TIMLogout(Some(on_result), tag as *const c_void) };
    assert_eq!(rc, 0);
    result_of(tag, WAIT).0
}

/// The statuses of `ids` through `TIMGetUserStatus`, parsed.
pub fn query(ids: &[&str]) -> Vec<serde_json::Value> {
    let (code, json) = call(TIMGetUserStatus, &serde_json::to_string(ids).expect("json"));
    assert_eq!(code, 0, "query failed");
    serde_json::from_str(&json).expect("query result is a JSON array")
}

/// Waits for a change notification about `user` with `status_type` (and `custom`, when given).
pub fn wait_change(user: &str, status_type: u64, custom: Option<&str>) -> serde_json::Value {
    let rec = wait_for(
        &format!("change of {user} to {status_type} {custom:?}"),
        WAIT,
        |r| match r {
            Rec::Changed(serde_json::Value::Array(items)) => items.iter().any(|s| {
                s["user_status_identifier"] == user
                    && s["user_status_status_type"] == status_type
                    && custom.map_or(true, |c| s["user_status_custom_status"] == c)
            }),
            _ => false,
        },
    );
    match rec {
        Rec::Changed(v) => v,
        _ => unreachable!(),
    }
}

pub fn wait_network(status: TIMNetworkStatus) -> i32 {
    match wait_for(
        &format!("network {status:?}"),
        WAIT,
        |r| matches!(r, Rec::Network { status: s, .. } if *s == status),
    ) {
        Rec::Network { code, .. } => code,
        _ => unreachable!(),
    }
}

/// The library's server URL for a server on `addr`.
pub fn ws_url(addr: SocketAddr) -> String {
    format!("ws://{addr}/ws")
}

/// Callbacks that do nothing: listeners set for their cost or their side effects alone.
pub mod ignore {
    use super::*;

    pub unsafe extern "C" fn on_network(
        _status: TIMNetworkStatus,
        _code: i32,
        _desc: *const c_char,
        _ud: *const c_void,
    ) {
    }
    pub unsafe extern "C" fn on_kicked(_ud: *const c_void) {}
    pub unsafe extern "C" fn on_expired(_ud: *const c_void) {}
    pub unsafe extern "C" fn on_changed(_json: *const c_char, _ud: *const c_void) {}
}

/// A result callback that only counts (benches: recording every result would cost), keeping the
/// last code and the last failure.
pub mod counter {
    use super::*;
    use std::sync::atomic::{AtomicI32, AtomicU64};

    static DONE: Mutex<u64> = Mutex::new(0);
    static DONE_CV: Condvar = Condvar::new();
    static FAILED: AtomicU64 = AtomicU64::new(0);
    static LAST_CODE: AtomicI32 = AtomicI32::new(0);
    static LAST_FAILURE: Mutex<Option<(i32, String)>> = Mutex::new(None);

    pub unsafe extern "C" fn on_result(
        code: i32,
        desc: *const c_char,
        _json: *const c_char,
        _ud: *const c_void,
    ) {
        if code != 0 {
            let desc = match desc.is_null() {
                true => String::new(),
                false => unsafe { CStr::from_ptr(desc) }
                    .to_string_lossy()
                    .into_owned(),
            };
            *LAST_FAILURE.lock().unwrap_or_else(PoisonError::into_inner) = Some((code, desc));
            FAILED.fetch_add(1, Ordering::Relaxed);
        }
        LAST_CODE.store(code, Ordering::SeqCst);
        *DONE.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        DONE_CV.notify_all();
    }

    /// Results counted so far.
    pub fn done() -> u64 {
        *DONE.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `timeout` until `n` results were counted in all; whether they were.
    pub fn wait(n: u64, timeout: Duration) -> bool {
        let g = DONE.lock().unwrap_or_else(PoisonError::into_inner);
        let (_done, waited) = DONE_CV
            .wait_timeout_while(g, timeout, |d| *d < n)
            .unwrap_or_else(PoisonError::into_inner);
        !waited.timed_out()
    }

    /// The code of the last result counted.
    pub fn last_code() -> i32 {
        LAST_CODE.load(Ordering::SeqCst)
    }

    /// How many results had a code other than 0, and the last of them (code, desc).
    pub fn failures() -> (u64, Option<(i32, String)>) {
        (
            FAILED.load(Ordering::Relaxed),
            LAST_FAILURE
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }

    /// Makes one call (`f` returns the export's result, which must be 0) and waits up to `timeout`
    /// for its result: its code, or None when it did not come.
    pub fn call(timeout: Duration, f: impl FnOnce() -> i32) -> Option<i32> {
        let before = done();
        assert_eq!(f(), 0, "call refused");
        wait(before + 1, timeout).then(last_code)
    }
}
