//! Shared test harness: calls the exported C functions exactly as C would, records every
//! callback, and starts real `imsdk-server`s. The library is one per process: tests of a file
//! hold [`serial`] for their whole run.
#![allow(dead_code)]

use imsdk_protocol::{encode, ClientFrame, ServerFrame, PROTOCOL_VERSION};
use imsdk_server::config::{Config, LoginPolicy};
use imsdk_server::ServerHandle;
use std::ffi::{c_char, c_void, CStr, CString};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use ImSDK::*;

pub const APP: u64 = 1_400_000_001;
pub const KEY: &str = "imsdk-dev-secret-key";
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

pub fn sig(user: &str) -> String {
    imsdk_usersig::generate(APP, KEY, user, 86_400)
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

// ---- servers ------------------------------------------------------------------------------

/// The dev app with `accounts` imported.
pub fn server_config(accounts: &[&str]) -> Config {
    let mut c = Config::dev_default();
    c.apps[0].accounts = accounts.iter().map(|s| s.to_string()).collect();
    c.apps[0].login_policy = LoginPolicy::Multi;
    c
}

pub fn start_server(config: Config) -> ServerHandle {
    ServerHandle::start(config, "127.0.0.1:0".parse().expect("addr")).expect("server starts")
}

pub fn ws_url(addr: SocketAddr) -> String {
    format!("ws://{addr}/ws")
}

// ---- raw peer: another device or user, speaking the wire protocol -------------------------------

pub struct Peer {
    ws: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next_id: u64,
    pub pushes: Vec<ServerFrame>,
}

impl Peer {
    pub fn login(addr: SocketAddr, user: &str, platform: &str) -> Peer {
        let (ws, _) = tungstenite::connect(ws_url(addr)).expect("peer connects");
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(WAIT)).expect("timeout");
        }
        let mut p = Peer {
            ws,
            next_id: 1,
            pushes: Vec::new(),
        };
        let (code, _) = p.request(|id| ClientFrame::Login {
            id,
            version: PROTOCOL_VERSION,
            sdk_app_id: APP,
            user_id: user.into(),
            user_sig: sig(user),
            platform: platform.into(),
            instance_id: format!("peer-{user}-{platform}"),
        });
        assert_eq!(code, 0, "peer login {user}");
        p
    }

    /// Sends a request and reads until its reply; pushes read meanwhile are kept.
    pub fn request(
        &mut self,
        frame: impl FnOnce(u64) -> ClientFrame,
    ) -> (i32, Option<serde_json::Value>) {
        let id = self.next_id;
        self.next_id += 1;
        self.ws
            .send(tungstenite::Message::text(encode(&frame(id))))
            .expect("peer sends");
        loop {
            match self.next_frame() {
                ServerFrame::Reply {
                    id: rid,
                    code,
                    data,
                    ..
                } if rid == id => return (code, data),
                other => self.pushes.push(other),
            }
        }
    }

    pub fn next_frame(&mut self) -> ServerFrame {
        loop {
            match self.ws.read().expect("peer reads (within the timeout)") {
                tungstenite::Message::Text(t) => {
                    return serde_json::from_str(t.as_str()).expect("server frame")
                }
                tungstenite::Message::Close(c) => panic!("peer closed: {c:?}"),
                _ => continue,
            }
        }
    }

    /// Reads pushes until one is a status change of `user` to `status_type` (with `custom`, when
    /// given).
    pub fn wait_status(
        &mut self,
        user: &str,
        status_type: u32,
        custom: Option<&str>,
    ) -> imsdk_protocol::UserStatus {
        let matches = |f: &ServerFrame| match f {
            ServerFrame::StatusChanged { statuses } => statuses
                .iter()
                .find(|s| {
                    s.user_status_identifier == user
                        && s.user_status_status_type as u32 == status_type
                        && custom.map_or(true, |c| s.user_status_custom_status == c)
                })
                .cloned(),
            _ => None,
        };
        if let Some(i) = self.pushes.iter().position(|f| matches(f).is_some()) {
            let f = self.pushes.remove(i);
            return matches(&f).expect("matched");
        }
        loop {
            let f = self.next_frame();
            if let Some(s) = matches(&f) {
                return s;
            }
        }
    }

    pub fn set_custom(&mut self, text: &str) {
        let custom_status = Some(text.to_owned());
        assert_eq!(
            self.request(|id| ClientFrame::SetSelfStatus { id, custom_status })
                .0,
            0
        );
    }

    pub fn subscribe(&mut self, ids: &[&str]) {
        let user_ids = ids.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            self.request(|id| ClientFrame::SubscribeUserStatus { id, user_ids })
                .0,
            0
        );
    }
}
