//! Issue 14, finding 4: a malicious or broken server must not hang or bloat the host process.
//! Small scripted servers on 127.0.0.1: a handshake trickled a byte every 0.8 s (ws:// and
//! wss://), a push flood during `TIMUninit`, a flood while a manual-dispatch host is paused (RSS
//! measured from /proc), and a 60 MiB message.

mod common;

use common::*;
use imsdk_protocol::{encode, ServerFrame, UserStatus, UserStatusType};
use imsdk_testkit::scripted::{scripted_server, ServerWs};
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use ImSDK::*;

fn push(user: &str, custom: &str) -> tungstenite::Message {
    tungstenite::Message::text(encode(&ServerFrame::StatusChanged {
        statuses: vec![UserStatus {
            user_status_identifier: user.into(),
            user_status_status_type: UserStatusType::Online,
            user_status_custom_status: custom.into(),
            user_status_online_devices: vec!["Linux".into()],
        }],
    }))
}

/// A line of /proc/self/status in bytes (`VmRSS`, `VmHWM`).
fn proc_kib(key: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| {
            v.trim()
                .trim_end_matches(" kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .expect("a kB figure")
        * 1024
}

const MIB: f64 = 1024.0 * 1024.0;

// ---- an open that never finishes ------------------------------------------------------------

/// Accepts one connection and sends `bytes` one every 0.8 s (for at most 30 s).
fn trickler(bytes: &'static [u8]) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        let Ok((mut tcp, _)) = listener.accept() else {
            return;
        };
        for b in bytes.iter().cycle().take(40) {
            if tcp.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(800));
        }
    });
    (port, h)
}

#[test]
fn a_trickled_handshake_fails_the_login_within_the_request_timeout() {
    let _g = serial();
    // ws://: an HTTP answer that never ends. wss://: a TLS record that never completes (before
    // any certificate is seen).
    let http: &'static [u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX: ";
    let tls: &'static [u8] = &[
        0x16, 0x03, 0x03, 0x3f, 0xff, 0x02, 0x00, 0x3f, 0xfb, 0x03, 0x03,
    ];
    let mut figures = Vec::new();
    for (scheme, bytes) in [("ws", http), ("wss", tls)] {
        let (port, server) = trickler(bytes);
        let url = format!("{scheme}://127.0.0.1:{port}/ws");
        assert_eq!(init(&url, r#""sdk_config_request_timeout_ms":2000"#), 0);
        let started = Instant::now();
        let tag = login_start("alice", &sig("alice"));
        let (code, desc, _) = result_of(tag, Duration::from_secs(4));
        let took = started.elapsed();
        assert_eq!(code, 6012, "{scheme}: {desc}");
        assert!(took < Duration::from_millis(2500), "{scheme}: {took:?}");
        assert_eq!(
            TIMGetLoginStatus(),
            TIMLoginStatus::kTIMLoginStatus_UnLogined
        );
        assert_eq!(TIMUninit(), 0);
        figures.push(format!("{scheme} {:.2} s", took.as_secs_f64()));
        drop(server); // it stops by itself when the library has closed the socket
    }
    println!("FIGURES: trickled handshake → login callback 6012 after {figures:?} (timeout 2 s)");
}

// ---- a push flood --------------------------------------------------------------------------

static UNINIT_RETURNED: AtomicBool = AtomicBool::new(false);
static LATE_CALLBACKS: AtomicUsize = AtomicUsize::new(0);
static FLOOD_CALLBACKS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_status(_json: *const std::ffi::c_char, _ud: *const std::ffi::c_void) {
    if UNINIT_RETURNED.load(Ordering::SeqCst) {
        LATE_CALLBACKS.fetch_add(1, Ordering::SeqCst);
    }
    FLOOD_CALLBACKS.fetch_add(1, Ordering::SeqCst);
}

/// Pushes changes of `users` users as fast as the socket takes them, until the client goes away
/// or `limit` frames; returns how many were sent.
fn flood(ws: &mut ServerWs, users: usize, limit: usize) -> usize {
    for i in 0..limit {
        let user = format!("u{}", i % users);
        if ws.send(push(&user, &format!("{i:0>100}"))).is_err() {
            return i;
        }
    }
    limit
}

#[test]
fn a_push_flood_does_not_hold_uninit_nor_run_callbacks_after_it() {
    let _g = serial();
    let (url, server) = scripted_server(400, |ws| {
        flood(ws, 50, 2_000_000);
    });
    UNINIT_RETURNED.store(false, Ordering::SeqCst);
    LATE_CALLBACKS.store(0, Ordering::SeqCst);
    FLOOD_CALLBACKS.store(0, Ordering::SeqCst);
    assert_eq!(init(&url, r#""sdk_config_reconnect_min_ms":60000"#), 0);
    login("alice");
    TIMSetUserStatusChangedCallback(Some(count_status), std::ptr::null());
    // Deep in the flood.
    let deadline = Instant::now() + WAIT;
    while FLOOD_CALLBACKS.load(Ordering::SeqCst) < 1000 {
        assert!(Instant::now() < deadline, "no flood");
        std::thread::yield_now();
    }
    let started = Instant::now();
    assert_eq!(TIMUninit(), 0);
    let took = started.elapsed();
    UNINIT_RETURNED.store(true, Ordering::SeqCst);
    // The server stops when the library's socket is gone: every frame it could still send has
    // met a closed library.
    server.join().expect("server thread");
    TIMSetUserStatusChangedCallback(None, std::ptr::null());
    assert!(took <= Duration::from_secs(1), "TIMUninit took {took:?}");
    assert_eq!(
        LATE_CALLBACKS.load(Ordering::SeqCst),
        0,
        "callbacks after TIMUninit"
    );
    println!(
        "FIGURES: TIMUninit during a push flood returned in {:.1} ms; {} status callbacks before, 0 after",
        took.as_secs_f64() * 1000.0,
        FLOOD_CALLBACKS.load(Ordering::SeqCst)
    );
}

#[test]
fn a_paused_manual_dispatch_host_gets_one_callback_per_user() {
    let _g = serial();
    const FRAMES: usize = 150_000;
    const USERS: usize = 3;
    let (start_tx, start_rx) = std::sync::mpsc::channel::<()>();
    let (url, server) = scripted_server(400, move |ws| {
        start_rx.recv().expect("go");
        assert_eq!(flood(ws, USERS, FRAMES), FRAMES);
        // The end of the flood, observable without pumping: the session ends (UnLogined).
        let kicked = ServerFrame::KickedOffline {
            code: 6208,
            desc: "end of flood".into(),
        };
        let _ = ws.send(tungstenite::Message::text(encode(&kicked)));
        while ws.read().is_ok() {}
    });
    assert_eq!(
        init(
            &url,
            r#""sdk_config_manual_dispatch":true,"sdk_config_reconnect_min_ms":60000"#
        ),
        0
    );
    let tag = login_start("alice", &sig("alice"));
    let deadline = Instant::now() + WAIT;
    while TIMGetLoginStatus() != TIMLoginStatus::kTIMLoginStatus_Logined {
        assert!(Instant::now() < deadline, "login");
        std::thread::yield_now();
    }
    TIMSetUserStatusChangedCallback(Some(count_status), std::ptr::null());
    FLOOD_CALLBACKS.store(0, Ordering::SeqCst);
    UNINIT_RETURNED.store(false, Ordering::SeqCst);
    let rss_before = proc_kib("VmRSS");
    let started = Instant::now();
    start_tx.send(()).expect("start the flood");
    // The host is paused: nobody pumps until the library has read the whole flood.
    let deadline = Instant::now() + Duration::from_secs(60);
    while TIMGetLoginStatus() != TIMLoginStatus::kTIMLoginStatus_UnLogined {
        assert!(Instant::now() < deadline, "flood not consumed");
        std::thread::sleep(Duration::from_millis(5));
    }
    let flood_took = started.elapsed();
    let rss_after = proc_kib("VmRSS");
    let ran = TIMDispatchCallbacks();
    let statuses = FLOOD_CALLBACKS.load(Ordering::SeqCst);
    TIMSetUserStatusChangedCallback(None, std::ptr::null());
    assert_eq!(statuses, USERS, "one status callback per user");
    // The login's result, the users' latest changes (no listener for the kick).
    assert_eq!(ran as usize, 1 + USERS);
    assert_eq!(results_with(tag), 1);
    let grew = rss_after.saturating_sub(rss_before) as f64 / MIB;
    assert!(grew < 8.0, "RSS grew {grew:.1} MiB while paused");
    assert_eq!(TIMUninit(), 0);
    server.join().expect("server thread");
    println!(
        "FIGURES: {FRAMES} pushes about {USERS} users read in {:.2} s while paused; RSS {:.1} → {:.1} MiB; one TIMDispatchCallbacks ran {ran} callbacks",
        flood_took.as_secs_f64(),
        rss_before as f64 / MIB,
        rss_after as f64 / MIB
    );
}

#[test]
fn a_60_mib_message_is_refused_without_being_buffered() {
    let _g = serial();
    const SIZE: u64 = 60 << 20;
    let (url, server) = scripted_server(400, |ws| {
        // One text message of 60 MiB in 8 MiB frames (each under tungstenite's default frame
        // cap, the whole under its default message cap), as fast as they are taken.
        let tcp = ws.get_mut();
        let chunk = vec![b'x'; 1 << 20];
        const FRAME: u64 = 8 << 20;
        let frames = SIZE.div_ceil(FRAME);
        for f in 0..frames {
            let len = FRAME.min(SIZE - f * FRAME);
            let opcode = if f == 0 { 0x1 } else { 0x0 };
            let fin = if f + 1 == frames { 0x80 } else { 0 };
            let mut header = vec![fin | opcode, 127];
            header.extend_from_slice(&len.to_be_bytes());
            if tcp.write_all(&header).is_err() {
                return;
            }
            for _ in 0..len >> 20 {
                if tcp.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
    });
    set_listeners();
    assert_eq!(init(&url, r#""sdk_config_reconnect_min_ms":60000"#), 0);
    let hwm_before = proc_kib("VmHWM");
    let started = Instant::now();
    login("alice");
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    let took = started.elapsed();
    let peak = proc_kib("VmHWM").saturating_sub(hwm_before) as f64 / MIB;
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(peak < 16.0, "peak RSS grew {peak:.1} MiB");
    assert_eq!(TIMUninit(), 0);
    server.join().expect("server thread");
    println!(
        "FIGURES: 60 MiB message refused {:.0} ms after login started; peak RSS +{peak:.1} MiB",
        took.as_secs_f64() * 1000.0
    );
}
