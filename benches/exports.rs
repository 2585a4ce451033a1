//! Library call cost (issue 6, benchmark item 1): how long each export of the C API takes to
//! return, with the network idle. `cargo bench --bench exports [-- FILTER]`.
//!
//! An in-process `imsdk-server` on 127.0.0.1:0, the SDK initialised against it and logged in as
//! `a`; every export is then called through the C ABI: through a function pointer (as C gets it
//! from the linker or `dlsym`), never inlined.
//!
//! - Exports that answer with a callback (the status calls, `callExperimentalAPI`,
//!   `TIMSetConfig`, `TIMLogin` / `TIMLogout`): each call is timed alone, then the bench waits,
//!   outside the timed region, until its callback ran (a counting callback), so that every call
//!   finds the worker and the connection idle and nothing piles up. Criterion sizes the samples
//!   from the warm-up's wall-clock time, so the number of calls is about the measurement time
//!   divided by one round trip to the server. Each timed region includes one `Instant::now()`
//!   (about 20-30 ns).
//! - Exports without a callback (getters, listener setters, `TIMDispatchCallbacks`): plain
//!   `iter`.
//! - `TIMInit` / `TIMUninit` last (a fresh instance each time: `TIMInit` starts the worker and
//!   callback threads, `TIMUninit` stops and joins them).
//!
//! Every callback's code must be 0: a failed call stops the bench.

use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use imsdk_testkit::sdk::counter::{self, done, on_result};
use imsdk_testkit::sdk::ignore::{on_changed, on_expired, on_kicked, on_network};
use imsdk_testkit::{inproc, sdk, APP};
use std::ffi::{c_char, c_int, c_void, CString};
use std::hint::black_box;
use std::time::{Duration, Instant};
use ImSDK::*;

const WAIT: Duration = Duration::from_secs(10);
const ME: &str = "a";
const OTHER: &str = "b";

// ---- counting callback (the test kit's) -----------------------------------------------------------

/// Waits until `n` callbacks ran in all; none may have failed.
fn wait_done(n: u64) {
    assert!(
        counter::wait(n, WAIT),
        "{} of {n} callbacks after {WAIT:?}",
        done()
    );
    let (failed, last) = counter::failures();
    assert_eq!(failed, 0, "a call failed: {last:?}");
}

/// Makes one call (`f` returns the export's result) and waits for its callback, untimed.
fn settled(f: impl FnOnce() -> c_int) {
    let before = done();
    assert_eq!(f(), 0, "call refused");
    wait_done(before + 1);
}

extern "C" fn on_any() {}

// ---- setup ----------------------------------------------------------------------------------------

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

fn init(url: &str) {
    assert_eq!(sdk::init(url, ""), 0, "TIMInit");
}

fn login() {
    let (user, sig) = (cstr(ME), cstr(&imsdk_testkit::sig(ME)));
    settled(|| unsafe {
        TIMLogin(
            user.as_ptr(),
            sig.as_ptr(),
            Some(on_result),
            std::ptr::null(),
        )
    });
    assert_eq!(TIMGetLoginStatus(), TIMLoginStatus::kTIMLoginStatus_Logined);
}

fn logout() {
    settled(|| unsafe { TIMLogout(Some(on_result), std::ptr::null()) });
}

// ---- timing -----------------------------------------------------------------------------------------

type JsonCall = unsafe extern "C" fn(*const c_char, TIMCommCallback, *const c_void) -> c_int;

/// Settings for exports that answer with a callback: 1 s of wall-clock time, some 10,000 to
/// 100,000 calls (one round trip each).
fn callback_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(50)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    g
}

/// `iters` calls of `f`, each timed alone; before each one `prepare` runs untimed, after each
/// one the bench waits for its callback.
fn timed_calls(iters: u64, mut prepare: impl FnMut(), mut f: impl FnMut() -> c_int) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        prepare();
        let before = done();
        let t = Instant::now();
        let rc = f();
        total += t.elapsed();
        assert_eq!(rc, 0, "call refused");
        wait_done(before + 1);
    }
    total
}

/// A JSON-taking export with a callback, through a function pointer; `jsons` are used in turn.
fn bench_json_call(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    f: JsonCall,
    jsons: &[&str],
    mut prepare: impl FnMut(),
) {
    let jsons: Vec<CString> = jsons.iter().map(|j| cstr(j)).collect();
    let mut next = 0;
    let mut call = || {
        let f = black_box(f);
        let json = &jsons[next % jsons.len()];
        next += 1;
        unsafe { f(json.as_ptr(), Some(on_result), std::ptr::null()) }
    };
    // Untimed first calls: caches, allocator, the server's side.
    timed_calls(200, &mut prepare, &mut call);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| timed_calls(iters, &mut prepare, &mut call))
    });
}

fn subscribe_other() {
    let ids = cstr(&format!(r#"["{OTHER}"]"#));
    settled(|| unsafe { TIMSubscribeUserStatus(ids.as_ptr(), Some(on_result), std::ptr::null()) });
}

fn unsubscribe_other() {
    let ids = cstr(&format!(r#"["{OTHER}"]"#));
    settled(|| unsafe {
        TIMUnsubscribeUserStatus(ids.as_ptr(), Some(on_result), std::ptr::null())
    });
}

fn status_calls(c: &mut Criterion) {
    let mut g = callback_group(c, "status");
    let statuses = [
        r#"{"user_status_custom_status":"bench one"}"#,
        r#"{"user_status_custom_status":"bench two"}"#,
    ];
    let ids = format!(r#"["{OTHER}"]"#);
    for (name, f) in [
        ("TIMSetSelfStatus", TIMSetSelfStatus as JsonCall),
        ("SetSelfStatus", SetSelfStatus),
    ] {
        bench_json_call(&mut g, name, f, &statuses, || {});
    }
    for (name, f) in [
        ("TIMGetUserStatus", TIMGetUserStatus as JsonCall),
        ("GetUserStatus", GetUserStatus),
    ] {
        bench_json_call(&mut g, name, f, &[&ids], || {});
    }
    // Each subscription is a real change: the other call runs untimed before each timed one.
    for (name, f) in [
        ("TIMSubscribeUserStatus", TIMSubscribeUserStatus as JsonCall),
        ("SubscribeUserStatus", SubscribeUserStatus),
    ] {
        bench_json_call(&mut g, name, f, &[&ids], unsubscribe_other);
    }
    for (name, f) in [
        (
            "TIMUnsubscribeUserStatus",
            TIMUnsubscribeUserStatus as JsonCall,
        ),
        ("UnsubscribeUserStatus", UnsubscribeUserStatus),
    ] {
        bench_json_call(&mut g, name, f, &[&ids], subscribe_other);
    }
    g.finish();
}

fn compat_calls(c: &mut Criterion) {
    let mut g = callback_group(c, "compat");
    let cfg = r#"{"set_config_log_level":0}"#;
    for (name, f) in [
        ("callExperimentalAPI", callExperimentalAPI as JsonCall),
        ("TIMCallExperimentalAPI", TIMCallExperimentalAPI),
        ("TIMSetConfig", TIMSetConfig),
    ] {
        bench_json_call(&mut g, name, f, &[cfg], || {});
    }
    g.finish();
}

/// `TIMLogout` and `TIMLogin`: each iteration is a whole logout and login (a new connection and
/// a round trip each); only the named call is timed.
fn session_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("session");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(2));
    let (user, sig) = (cstr(ME), cstr(&imsdk_testkit::sig(ME)));
    g.bench_function("TIMLogout", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let f = black_box(
                    TIMLogout as unsafe extern "C" fn(TIMCommCallback, *const c_void) -> c_int,
                );
                total += timed_calls(1, || {}, || unsafe { f(Some(on_result), std::ptr::null()) });
                login();
            }
            total
        })
    });
    g.bench_function("TIMLogin", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                logout();
                let f = black_box(
                    TIMLogin
                        as unsafe extern "C" fn(
                            *const c_char,
                            *const c_char,
                            TIMCommCallback,
                            *const c_void,
                        ) -> c_int,
                );
                total += timed_calls(
                    1,
                    || {},
                    || unsafe {
                        f(
                            user.as_ptr(),
                            sig.as_ptr(),
                            Some(on_result),
                            std::ptr::null(),
                        )
                    },
                );
                assert_eq!(TIMGetLoginStatus(), TIMLoginStatus::kTIMLoginStatus_Logined);
            }
            total
        })
    });
    g.finish();
}

/// Exports without a callback.
fn plain_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("plain");
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let f = TIMGetLoginStatus as extern "C" fn() -> TIMLoginStatus;
    g.bench_function("TIMGetLoginStatus", |b| b.iter(|| black_box(f)()));
    let f = TIMGetLoginUserID as unsafe extern "C" fn(*mut c_char) -> c_int;
    let mut buf = [0 as c_char; 128];
    g.bench_function("TIMGetLoginUserID", |b| {
        b.iter(|| {
            let rc = unsafe { black_box(f)(buf.as_mut_ptr()) };
            assert_eq!(rc, 0);
        })
    });
    let f = TIMGetServerTime as extern "C" fn() -> u64;
    g.bench_function("TIMGetServerTime", |b| b.iter(|| black_box(f)()));
    let f = TIMGetSDKVersion as extern "C" fn() -> *const c_char;
    g.bench_function("TIMGetSDKVersion", |b| b.iter(|| black_box(f)()));
    let f = TIMDispatchCallbacks as extern "C" fn() -> c_int;
    g.bench_function("TIMDispatchCallbacks", |b| b.iter(|| black_box(f)()));

    let f = TIMSetNetworkStatusListenerCallback
        as extern "C" fn(TIMNetworkStatusListenerCallback, *const c_void);
    g.bench_function("TIMSetNetworkStatusListenerCallback", |b| {
        b.iter(|| black_box(f)(Some(on_network), std::ptr::null()))
    });
    let f = TIMSetKickedOfflineCallback as extern "C" fn(TIMKickedOfflineCallback, *const c_void);
    g.bench_function("TIMSetKickedOfflineCallback", |b| {
        b.iter(|| black_box(f)(Some(on_kicked), std::ptr::null()))
    });
    let f = TIMSetUserSigExpiredCallback as extern "C" fn(TIMUserSigExpiredCallback, *const c_void);
    g.bench_function("TIMSetUserSigExpiredCallback", |b| {
        b.iter(|| black_box(f)(Some(on_expired), std::ptr::null()))
    });
    for (name, f) in [
        (
            "TIMSetUserStatusChangedCallback",
            TIMSetUserStatusChangedCallback
                as extern "C" fn(TIMUserStatusChangedCallback, *const c_void),
        ),
        ("SetUserStatusChangedCallback", SetUserStatusChangedCallback),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(f)(Some(on_changed), std::ptr::null()))
        });
    }
    g.finish();
}

/// The listener setters kept for Tencent's C# layer: they accept and forget.
fn ignored_listeners(c: &mut Criterion) {
    let mut g = c.benchmark_group("ignored");
    g.warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    type Setter = extern "C" fn(TIMAnyCallback, *const c_void);
    let setters: [(&str, Setter); 19] = [
        ("TIMAddRecvNewMsgCallback", TIMAddRecvNewMsgCallback),
        ("TIMSetConvEventCallback", TIMSetConvEventCallback),
        (
            "TIMSetConvTotalUnreadMessageCountChangedCallback",
            TIMSetConvTotalUnreadMessageCountChangedCallback,
        ),
        (
            "TIMSetFriendAddRequestCallback",
            TIMSetFriendAddRequestCallback,
        ),
        (
            "TIMSetFriendApplicationListDeletedCallback",
            TIMSetFriendApplicationListDeletedCallback,
        ),
        (
            "TIMSetFriendApplicationListReadCallback",
            TIMSetFriendApplicationListReadCallback,
        ),
        (
            "TIMSetFriendBlackListAddedCallback",
            TIMSetFriendBlackListAddedCallback,
        ),
        (
            "TIMSetFriendBlackListDeletedCallback",
            TIMSetFriendBlackListDeletedCallback,
        ),
        (
            "TIMSetGroupAttributeChangedCallback",
            TIMSetGroupAttributeChangedCallback,
        ),
        ("TIMSetGroupTipsEventCallback", TIMSetGroupTipsEventCallback),
        ("TIMSetLogCallback", TIMSetLogCallback),
        (
            "TIMSetMsgElemUploadProgressCallback",
            TIMSetMsgElemUploadProgressCallback,
        ),
        (
            "TIMSetMsgReadedReceiptCallback",
            TIMSetMsgReadedReceiptCallback,
        ),
        ("TIMSetMsgRevokeCallback", TIMSetMsgRevokeCallback),
        ("TIMSetMsgUpdateCallback", TIMSetMsgUpdateCallback),
        ("TIMSetOnAddFriendCallback", TIMSetOnAddFriendCallback),
        ("TIMSetOnDeleteFriendCallback", TIMSetOnDeleteFriendCallback),
        (
            "TIMSetUpdateFriendProfileCallback",
            TIMSetUpdateFriendProfileCallback,
        ),
        (
            "TIMSetSelfInfoUpdatedCallback",
            TIMSetSelfInfoUpdatedCallback,
        ),
    ];
    for (name, f) in setters {
        g.bench_function(name, |b| {
            b.iter(|| black_box(f)(Some(on_any), std::ptr::null()))
        });
    }
    let f = TIMRemoveRecvNewMsgCallback as extern "C" fn(TIMAnyCallback);
    g.bench_function("TIMRemoveRecvNewMsgCallback", |b| {
        b.iter(|| black_box(f)(Some(on_any)))
    });
    g.finish();
}

/// `TIMInit` and `TIMUninit` of a fresh instance (not logged in); only the named call is timed.
fn lifecycle_calls(c: &mut Criterion, url: &str) {
    TIMUninit();
    let mut g = c.benchmark_group("lifecycle");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(500));
    let config = cstr(&format!(r#"{{"sdk_config_server_url":"{url}"}}"#));
    let init_fn = TIMInit as unsafe extern "C" fn(u64, *const c_char) -> c_int;
    let uninit_fn = TIMUninit as extern "C" fn() -> c_int;
    g.bench_function("TIMInit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let rc = unsafe { black_box(init_fn)(APP, config.as_ptr()) };
                total += t.elapsed();
                assert_eq!(rc, 0);
                assert_eq!(TIMUninit(), 0);
            }
            total
        })
    });
    g.bench_function("TIMUninit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                init(url);
                let t = Instant::now();
                let rc = black_box(uninit_fn)();
                total += t.elapsed();
                assert_eq!(rc, 0);
            }
            total
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut config = inproc::dev_config(&[ME, OTHER]);
    // Tencent's 20 get / subscribe / unsubscribe calls per 5 s would refuse most of the calls.
    config.apps[0].limits.rate_calls = 1 << 30;
    let server = inproc::start(config);
    let url = sdk::ws_url(server.addr());
    init(&url);
    login();

    status_calls(&mut c);
    compat_calls(&mut c);
    plain_calls(&mut c);
    ignored_listeners(&mut c);
    session_calls(&mut c);
    lifecycle_calls(&mut c, &url);

    c.final_summary();
    server.shutdown();
}
