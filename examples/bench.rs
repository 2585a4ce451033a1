//! Figures for the native library, printed: `cargo run --release --example bench [-- N]`.
//!
//! - call return: how long `TIMGetUserStatus` / `TIMSetSelfStatus` take to return (median, p99);
//! - A→B: A's `SetSelfStatus` until B's status callback runs, through an `imsdk-server` on
//!   loopback (median, p99); A and B are separate processes (the SDK is one per process), the
//!   send time travels in the custom status and both read the same system clock;
//! - RSS: B's resident memory before `TIMInit` and after `TIMLogin` succeeded;
//! - reference: how long waking a thread parked in `epoll_wait` takes on this machine (a bare
//!   `mio::Waker::wake`, what a call pays when the library's worker is asleep; see
//!   docs/BENCHMARKS.md).
//!
//! Roles: the parent runs the server; `bench b URL N` and `bench a URL N` are the two users.
//!
//! A may run at most [`WINDOW`] changes ahead of what B has received (B prints `GOT k`, the parent
//! passes it on to A's stdin). Without that bound a closed-loop A outruns a B that the machine
//! does not schedule for a few milliseconds: the server's outbound queue for B (64 frames) fills,
//! the server cuts B as a slow consumer (close 4003), B reconnects after A is done and the figure
//! was taken over the few changes that arrived before the cut. B fails loudly (exit status 1) if
//! its connection drops or fewer than N changes arrive: a partial figure is never printed.

use imsdk_testkit::sdk::counter::{self, on_result};
use imsdk_testkit::{inproc, sdk};
use std::ffi::{c_char, c_void, CStr, CString};
use std::io::Write;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use ImSDK::*;

const WAIT: Duration = Duration::from_secs(30);
/// Most changes A may have sent that B has not reported yet; well under the server's outbound
/// queue (64 frames), so B is never cut as a slow consumer because A ran ahead of it.
const WINDOW: usize = 16;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("a") => sender(&args[2], args[3].parse().unwrap_or(2000)),
        Some("b") => receiver(&args[2], args[3].parse().unwrap_or(2000)),
        n => parent(n.and_then(|n| n.parse().ok()).unwrap_or(2000)),
    }
}

fn parent(n: usize) {
    wake_reference();
    let server = inproc::start(inproc::dev_config(&["a", "b"]));
    let url = sdk::ws_url(server.addr());
    let exe = std::env::current_exe().expect("exe");
    let mut b = Command::new(&exe)
        .args(["b", &url, &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn b");
    let mut lines = BufReader::new(b.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok);
    for line in lines.by_ref() {
        if line == "READY" {
            break;
        }
        println!("{line}");
    }
    let mut a = Command::new(&exe)
        .args(["a", &url, &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn a");
    let mut to_a = a.stdin.take().expect("stdin");
    // B's progress goes to A (which may be gone: then nobody needs it); the rest is B's report.
    let relay = std::thread::spawn(move || {
        for line in lines {
            match line.strip_prefix("GOT ") {
                Some(_) => {
                    let _ = writeln!(to_a, "{line}");
                }
                None => println!("{line}"),
            }
        }
    });
    let a_ok = a.wait().expect("a").success();
    if !a_ok {
        let _ = b.kill();
    }
    let b_ok = b.wait().expect("b").success();
    let _ = relay.join();
    assert!(a_ok, "sender failed");
    assert!(b_ok, "receiver failed: no figure (see its message above)");
}

/// Prints what waking a thread parked in `epoll_wait` costs the waker here: a call that hands
/// work to the library's sleeping worker pays this (on a VM, an inter-processor interrupt), a call
/// that finds it awake does not.
fn wake_reference() {
    const N: usize = 2_000;
    let mut poll = mio::Poll::new().expect("poll");
    let waker = mio::Waker::new(poll.registry(), mio::Token(0)).expect("waker");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let parked = std::thread::spawn({
        let done = std::sync::Arc::clone(&done);
        move || {
            let mut events = mio::Events::with_capacity(4);
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                let _ = poll.poll(&mut events, Some(WAIT));
            }
        }
    });
    let mut took = Vec::with_capacity(N);
    for _ in 0..N {
        // Long enough for the other thread to be back asleep.
        std::thread::sleep(Duration::from_micros(200));
        let s = Instant::now();
        waker.wake().expect("wake");
        took.push(s.elapsed().as_secs_f64() * 1e6);
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let _ = waker.wake();
    let _ = parked.join();
    took.sort_by(f64::total_cmp);
    println!(
        "reference, waking a parked thread ({N} mio Waker::wake): median {:.2} µs, p99 {:.2} µs",
        percentile(&took, 0.5),
        percentile(&took, 0.99)
    );
}

// ---- shared by both users -------------------------------------------------------------------

/// Makes one call with the test kit's counting callback; its result code (-1: none in time).
fn call(f: impl FnOnce() -> i32) -> i32 {
    counter::call(WAIT, f).unwrap_or(-1)
}

fn start(user: &str, url: &str) {
    assert_eq!(sdk::init(url, ""), 0);
    let (u, s) = (
        CString::new(user).expect("c"),
        CString::new(imsdk_testkit::sig(user)).expect("c"),
    );
    assert_eq!(
        call(|| unsafe { TIMLogin(u.as_ptr(), s.as_ptr(), Some(on_result), std::ptr::null()) }),
        0
    );
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Times `n` synchronous returns of `f` (callbacks NULL: nothing else to wait for).
fn time_calls(n: usize, mut f: impl FnMut() -> i32) -> Vec<f64> {
    let mut t: Vec<f64> = (0..n)
        .map(|_| {
            let s = Instant::now();
            assert_eq!(f(), 0);
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t
}

// ---- B: receives, measures --------------------------------------------------------------------

static ARRIVALS: Mutex<Vec<(u128, String)>> = Mutex::new(Vec::new());
static ARRIVED: Condvar = Condvar::new();
/// A connection event after READY (status, code, desc): B missed changes, the figure is void.
static DROPPED: Mutex<Option<String>> = Mutex::new(None);

unsafe extern "C" fn on_network(
    status: TIMNetworkStatus,
    code: i32,
    desc: *const c_char,
    _ud: *const c_void,
) {
    let desc = unsafe { CStr::from_ptr(desc) }.to_string_lossy();
    let mut dropped = DROPPED.lock().unwrap_or_else(|e| e.into_inner());
    dropped.get_or_insert_with(|| format!("{status:?} (code {code}, {desc})"));
    drop(dropped);
    // Wakes B's wait (the lock orders this after B's check of DROPPED).
    drop(ARRIVALS.lock().unwrap_or_else(|e| e.into_inner()));
    ARRIVED.notify_all();
}

unsafe extern "C" fn on_changed(json: *const c_char, _ud: *const c_void) {
    let at = now_ns();
    let json = unsafe { CStr::from_ptr(json) }
        .to_string_lossy()
        .into_owned();
    ARRIVALS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((at, json));
    ARRIVED.notify_all();
}

/// (send time in ns, sequence number) of one of A's stamped statuses (`t<ns>:<i>`).
fn stamp(json: &str) -> Option<(u128, usize)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let (sent, seq) = v[0]["user_status_custom_status"]
        .as_str()?
        .strip_prefix('t')?
        .split_once(':')?;
    Some((sent.parse().ok()?, seq.parse().ok()?))
}

fn receiver(url: &str, n: usize) {
    let before = rss_kib();
    start("b", url);
    let after = rss_kib();
    TIMSetUserStatusChangedCallback(Some(on_changed), std::ptr::null());
    let ids = CString::new(r#"["b"]"#).expect("c");
    let get = time_calls(20_000, || unsafe {
        TIMGetUserStatus(ids.as_ptr(), None, std::ptr::null())
    });
    let sub = CString::new(r#"["a"]"#).expect("c");
    assert_eq!(
        call(|| unsafe { TIMSubscribeUserStatus(sub.as_ptr(), Some(on_result), std::ptr::null()) }),
        0
    );
    ARRIVALS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    TIMSetNetworkStatusListenerCallback(Some(on_network), std::ptr::null());
    println!("READY");
    // A's n custom statuses (plus its online notification). Each wait ends with an arrival, a
    // connection event or a second without either; A needs no more than WAIT per change.
    let mut got = ARRIVALS.lock().unwrap_or_else(|e| e.into_inner());
    // `count`: changes covered so far (the highest sequence number seen + 1). Statuses are values:
    // the server and the library may replace a change still pending by a newer one, so B may see
    // fewer than N callbacks, but it must see the last change.
    let (mut count, mut scanned, mut reported, mut last) = (0, 0, 0, Instant::now());
    let failure = loop {
        for (_, json) in &got[scanned..] {
            if let Some((_, seq)) = stamp(json) {
                count = count.max(seq + 1);
            }
        }
        scanned = got.len();
        if count > reported {
            // Not under the lock: the callback thread must not wait for the pipe.
            drop(got);
            println!("GOT {count}");
            (reported, last) = (count, Instant::now());
            got = ARRIVALS.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        if count >= n {
            break None;
        }
        if let Some(e) = DROPPED.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            break Some(format!("connection event {e}"));
        }
        if last.elapsed() > WAIT {
            break Some(format!("nothing new for {} s", WAIT.as_secs()));
        }
        got = ARRIVED
            .wait_timeout(got, Duration::from_secs(1))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    };
    if let Some(why) = failure {
        eprintln!(
            "bench: B received {count} of {n} changes, then {why}; no latency figure. A \
             connection drop here is usually the server cutting B as a slow consumer (close \
             4003, metric imsdk_queue_drops_total{{kind=\"session\"}})."
        );
        std::process::exit(1);
    }
    let mut lat: Vec<f64> = got
        .iter()
        .filter_map(|(at, json)| {
            let (sent, _) = stamp(json)?;
            Some(at.saturating_sub(sent) as f64 / 1000.0)
        })
        .collect();
    drop(got);
    lat.sort_by(f64::total_cmp);
    TIMUninit();
    println!(
        "call return, TIMGetUserStatus (20000 calls): median {:.2} µs, p99 {:.2} µs",
        percentile(&get, 0.5),
        percentile(&get, 0.99)
    );
    println!(
        "A SetSelfStatus → B callback over loopback ({} changes, {} replaced by a newer one before delivery): median {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        n,
        n.saturating_sub(lat.len()),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "RSS added by TIMInit + TIMLogin: {} KiB ({} → {} KiB)",
        after.saturating_sub(before),
        before,
        after
    );
}

// ---- A: sends -----------------------------------------------------------------------------------

/// How many changes B has reported (`GOT k` lines on stdin, relayed by the parent).
static ACKED: Mutex<usize> = Mutex::new(0);
static ACK: Condvar = Condvar::new();

fn sender(url: &str, n: usize) {
    std::thread::spawn(|| {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if let Some(k) = line
                .strip_prefix("GOT ")
                .and_then(|k| k.parse::<usize>().ok())
            {
                let mut acked = ACKED.lock().unwrap_or_else(|e| e.into_inner());
                *acked = (*acked).max(k);
                ACK.notify_all();
            }
        }
    });
    start("a", url);
    let mut ret = Vec::with_capacity(n);
    for i in 0..n {
        // At most WINDOW changes ahead of B (see the top of this file).
        let acked = ACKED.lock().unwrap_or_else(|e| e.into_inner());
        let (acked, _) = ACK
            .wait_timeout_while(acked, WAIT, |a| i - (*a).min(i) >= WINDOW)
            .unwrap_or_else(|e| e.into_inner());
        assert!(
            i - (*acked).min(i) < WINDOW,
            "B reported nothing for {} s",
            WAIT.as_secs()
        );
        drop(acked);
        let json = CString::new(format!(
            r#"{{"user_status_custom_status":"t{}:{i}"}}"#,
            now_ns()
        ))
        .expect("c");
        let before = counter::done();
        let s = Instant::now();
        let rc = unsafe { SetSelfStatus(json.as_ptr(), Some(on_result), std::ptr::null()) };
        ret.push(s.elapsed().as_secs_f64() * 1e6);
        assert_eq!(rc, 0);
        assert!(counter::wait(before + 1, WAIT), "set answered in time");
        assert_eq!(counter::last_code(), 0, "set failed");
    }
    // Stay logged in until B has A's last change: A's logout is a status change too (UNLOGINED,
    // custom status cleared) and, being newer, may replace changes still on their way to B.
    let acked = ACKED.lock().unwrap_or_else(|e| e.into_inner());
    drop(
        ACK.wait_timeout_while(acked, WAIT, |a| *a < n)
            .unwrap_or_else(|e| e.into_inner()),
    );
    ret.sort_by(f64::total_cmp);
    println!(
        "call return, SetSelfStatus ({n} calls): median {:.2} µs, p99 {:.2} µs",
        percentile(&ret, 0.5),
        percentile(&ret, 0.99)
    );
    TIMUninit();
}
