//! 32 threads call every export at once, with `TIMInit` and `TIMUninit` racing them, against a
//! real server: no crash, no deadlock, and every call that returned TIM_SUCC gets its callback
//! exactly once (refused calls get none). `IMSDK_STRESS_SECS` (default 3; 10 with
//! `IMSDK_LONG_TESTS=1`) and `IMSDK_STRESS_THREADS` (default 32) size the run; scripts/test.sh
//! also runs a short version under valgrind (leaks and invalid accesses).

mod common;

use common::{server_config, sig, start_server, ws_url, Call, APP};
use imsdk_testkit::sdk::ignore::{on_changed, on_kicked, on_network};
use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};
use ImSDK::*;

/// Tags (user_data values) each thread may use.
const TAGS_PER_THREAD: usize = 400_000;

fn counts() -> &'static [AtomicU8] {
    static COUNTS: OnceLock<Vec<AtomicU8>> = OnceLock::new();
    COUNTS.get_or_init(|| {
        (0..threads() * TAGS_PER_THREAD)
            .map(|_| AtomicU8::new(0))
            .collect()
    })
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn threads() -> usize {
    env_usize("IMSDK_STRESS_THREADS", 32)
}

fn seconds() -> u64 {
    let long = std::env::var("IMSDK_LONG_TESTS").is_ok_and(|v| v == "1");
    env_usize("IMSDK_STRESS_SECS", if long { 10 } else { 3 }) as u64
}

static CALLBACKS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn on_result(
    _code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    assert!(!desc.is_null() && !json.is_null());
    let n = counts()[ud as usize].fetch_add(1, Ordering::SeqCst);
    if n != 0 {
        // A second callback for one call: fail loudly (a panic cannot unwind out of here).
        eprintln!("call {} got {} callbacks", ud as usize, n + 1);
        std::process::abort();
    }
    CALLBACKS.fetch_add(1, Ordering::Relaxed);
}

/// One pseudo-random export call; returns (tag, accepted) when it takes a callback.
fn one_call(
    rng: &mut u64,
    tag: usize,
    users: &[CString],
    init_cfg: &CString,
) -> Option<(usize, bool)> {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    let ud = tag as *const c_void;
    let cb: TIMCommCallback = Some(on_result);
    let user = &users[(*rng >> 8) as usize % users.len()];
    let json = |s: &str| CString::new(s).expect("no NUL");
    let with_json = |f: Call, j: &str| unsafe { f(json(j).as_ptr(), cb, ud) };
    // Init and Uninit are rare enough that most calls meet a running (often logged-in) SDK.
    let op = match *rng % 100 {
        0 | 1 => 16,
        2 => 18,
        n => n % 16,
    };
    let rc = match op {
        0 => with_json(
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":"stress"}"#,
        ),
        1 => with_json(TIMGetUserStatus, r#"["alice","bob","carol"]"#),
        2 => with_json(TIMSubscribeUserStatus, r#"["bob","carol"]"#),
        3 => with_json(TIMUnsubscribeUserStatus, r#"["bob"]"#),
        4 => with_json(SetSelfStatus, r#"{}"#),
        5 => with_json(GetUserStatus, "[\"alice\"]"),
        6 => with_json(TIMSetConfig, "{}"),
        7 => with_json(TIMCallExperimentalAPI, "{}"),
        8 => with_json(TIMGetUserStatus, "not json"),
        9 => {
            let s = CString::new(sig(user.to_str().expect("ascii"))).expect("no NUL");
            unsafe { TIMLogin(user.as_ptr(), s.as_ptr(), cb, ud) }
        }
        10 => unsafe { TIMLogout(cb, ud) },
        11 => {
            let _ = TIMGetLoginStatus();
            let mut buf = [0 as c_char; 64];
            let _ = unsafe { TIMGetLoginUserID(buf.as_mut_ptr()) };
            let _ = TIMGetServerTime();
            let _ = TIMGetSDKVersion();
            return None;
        }
        12 => {
            TIMSetNetworkStatusListenerCallback(Some(on_network), std::ptr::null());
            TIMSetUserStatusChangedCallback(Some(on_changed), std::ptr::null());
            TIMSetKickedOfflineCallback(Some(on_kicked), std::ptr::null());
            return None;
        }
        13 => {
            TIMSetNetworkStatusListenerCallback(None, std::ptr::null());
            TIMSetUserStatusChangedCallback(None, std::ptr::null());
            return None;
        }
        14 => {
            let _ = TIMDispatchCallbacks();
            return None;
        }
        15 => with_json(TIMUnsubscribeUserStatus, ""),
        16 | 17 => unsafe { TIMInit(APP, init_cfg.as_ptr()) },
        _ => {
            let _ = TIMUninit();
            return None;
        }
    };
    let takes_callback = !matches!(op, 11..=14 | 16 | 17);
    takes_callback.then_some((tag, rc == 0))
}

#[test]
fn threads_calling_every_export_with_init_and_uninit_racing() {
    let server = start_server(server_config(&["alice", "bob", "carol"]));
    let init_cfg = CString::new(format!(
        r#"{{"sdk_config_server_url":"{}","sdk_config_reconnect_min_ms":10,"sdk_config_reconnect_max_ms":50,"sdk_config_request_timeout_ms":2000}}"#,
        ws_url(server.addr())
    ))
    .expect("no NUL");
    let users: Vec<CString> = ["alice", "bob", "carol"]
        .iter()
        .map(|u| CString::new(*u).expect("no NUL"))
        .collect();
    let n = threads();
    let run_for = Duration::from_secs(seconds());
    let stop = AtomicBool::new(false);
    let (done_tx, done_rx) = mpsc::channel();
    let started = Instant::now();
    let outcome = std::thread::scope(|s| {
        for t in 0..n {
            let (users, init_cfg, stop, done_tx) = (&users, &init_cfg, &stop, done_tx.clone());
            s.spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ ((t as u64 + 1) << 32);
                let mut accepted = Vec::new();
                let mut refused = Vec::new();
                let mut calls = 0usize;
                for i in 1..TAGS_PER_THREAD {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    calls += 1;
                    if let Some((tag, ok)) =
                        one_call(&mut rng, t * TAGS_PER_THREAD + i, users, init_cfg)
                    {
                        if ok {
                            accepted.push(tag);
                        } else {
                            refused.push(tag);
                        }
                    }
                }
                let _ = done_tx.send((calls, accepted, refused));
            });
        }
        drop(done_tx);
        // The main thread keeps time; a thread that never returns is a deadlock.
        let _ = done_rx.recv_timeout(run_for);
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for _ in 0..n {
            all.push(
                done_rx
                    .recv_timeout(Duration::from_secs(30))
                    .expect("every thread returns: no deadlock"),
            );
        }
        all
    });
    // Uninit: every call still in flight gets its callback (7009) before it returns.
    let _ = TIMUninit();
    let elapsed = started.elapsed();
    let (mut calls, mut accepted, mut refused) = (0, 0, 0);
    for (c, acc, refs) in &outcome {
        calls += c;
        accepted += acc.len();
        refused += refs.len();
        for &tag in acc {
            assert_eq!(
                counts()[tag].load(Ordering::SeqCst),
                1,
                "accepted call {tag}: one callback"
            );
        }
        for &tag in refs {
            assert_eq!(
                counts()[tag].load(Ordering::SeqCst),
                0,
                "refused call {tag}: no callback"
            );
        }
    }
    assert!(accepted > 0, "some calls were accepted");
    println!(
        "FIGURES: {n} threads, {elapsed:?}: {calls} export calls, {accepted} accepted (each called \
         back once), {refused} refused synchronously (none called back)"
    );
    drop(server);
}
