//! The server process is SIGKILLed while library clients are logged in and calls are in flight.
//! Every pending callback fires exactly once with 9508; the clients report Disconnected and
//! Connecting, retry with backoff and jitter while nothing listens, log in again when the server
//! is back and hear changes again: the subscription lists are the server's, written to its database
//! before it answered, so the restarted server has them (the library restores nothing of its own).
//! Several library clients (one per child process) measure the reconnect spread.

mod common;
mod faults_common;

use common::*;
use faults_common::*;
use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use ImSDK::*;

const CHILD_USER: &str = "IMSDK_FAULT_CHILD_USER";
const CHILD_URL: &str = "IMSDK_FAULT_CHILD_URL";
const CHILDREN: usize = 6;
/// Failed attempts each child makes while the server is down, before it is restarted.
const FAILURES_BEFORE_RESTART: usize = 4;

fn accounts() -> Vec<String> {
    let mut a: Vec<String> = vec!["alice".into(), "bob".into()];
    a.extend((0..CHILDREN).map(|i| format!("child{i}")));
    a
}

/// The server's database directory: one per test process, shared by the server and its restart.
fn data_dir() -> &'static str {
    static DIR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "imsdk-faults-kill-{}-{}",
            std::process::id(),
            unix_ms()
        ));
        std::fs::create_dir_all(&dir).expect("data dir");
        dir.to_string_lossy().into_owned()
    })
}

fn toml() -> String {
    let accounts = accounts();
    let refs: Vec<&str> = accounts.iter().map(String::as_str).collect();
    server_toml(&format!("data_dir = {:?}", data_dir()), &refs, "")
}

/// Returns once the session is usable after a reconnect (a query round trip).
fn restored() {
    assert_eq!(call(TIMGetUserStatus, r#"["bob"]"#).0, 0);
}

/// The next line of any child, waiting up to `limit`.
fn expect_line(rx: &mpsc::Receiver<(usize, String)>, limit: Duration) -> (usize, String) {
    rx.recv_timeout(limit).expect("a line from a child in time")
}

#[test]
fn sigkill_fails_pending_calls_once_then_clients_reconnect_with_jitter_and_restore() {
    if std::env::var(CHILD_USER).is_ok() {
        return;
    }
    let _g = serial();
    let mut server = spawn_server(&toml(), "127.0.0.1:0");
    let addr = server.addr;
    let url = ws_url(addr);

    // The herd: one library per child process, each subscribed to bob.
    let (tx, rx) = mpsc::channel();
    let mut children = Vec::new();
    for i in 0..CHILDREN {
        let mut child = spawn_child_test(
            "child_library_client",
            &[(CHILD_USER, format!("child{i}")), (CHILD_URL, url.clone())],
        );
        forward_lines(&mut child, i, tx.clone());
        children.push(child);
    }
    let mut ready = 0;
    while ready < CHILDREN {
        let (_, line) = expect_line(&rx, Duration::from_secs(60));
        ready += usize::from(line == "READY");
    }

    // This process: alice, subscribed to bob, with calls in flight when the server dies.
    set_listeners();
    let fast = r#""sdk_config_reconnect_min_ms":100,"sdk_config_reconnect_max_ms":1600"#;
    assert_eq!(init(&url, fast), 0);
    login("alice");
    wait_network(TIMNetworkStatus::kTIMConnected);
    assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);
    // A stopped server reads nothing: the calls below stay pending until the kill.
    server.signal("STOP");
    let tags: Vec<usize> = (0..10)
        .map(|i| {
            if i % 2 == 0 {
                start(TIMGetUserStatus, r#"["bob"]"#)
            } else {
                start(TIMSetSelfStatus, r#"{"user_status_custom_status":"x"}"#)
            }
        })
        .collect();
    let killed_at = Instant::now();
    server.kill();
    for &tag in &tags {
        assert_eq!(result_of(tag, WAIT).0, 9508, "call {tag} failed with 9508");
    }
    let detected = killed_at.elapsed();
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    wait_network(TIMNetworkStatus::kTIMConnecting);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_Logined,
        "still logged in while reconnecting"
    );

    // Every child sees the loss and retries (and fails) a few times while nothing listens.
    let mut failures: HashMap<usize, usize> = HashMap::new();
    let mut disconnected = 0;
    while disconnected < CHILDREN
        || failures
            .values()
            .filter(|n| **n >= FAILURES_BEFORE_RESTART)
            .count()
            < CHILDREN
    {
        let (i, line) = expect_line(&rx, Duration::from_secs(30));
        match line.as_str() {
            "DISCONNECTED" => disconnected += 1,
            "FAILED" => *failures.entry(i).or_default() += 1,
            other => panic!("child {i}: unexpected {other}"),
        }
    }

    let server = spawn_server(&toml(), &addr.to_string());
    let restarted_ms = unix_ms();
    wait_network(TIMNetworkStatus::kTIMConnected);
    restored();
    let mut reconnected: Vec<u128> = Vec::new();
    while reconnected.len() < CHILDREN {
        let (i, line) = expect_line(&rx, Duration::from_secs(30));
        if let Some(t) = line.strip_prefix("RECONNECTED ") {
            reconnected.push(t.parse().expect("ms"));
        } else {
            assert_eq!(line, "FAILED", "child {i}");
        }
    }

    // The new server knows the subscriptions from its database: nobody re-subscribed.
    let mut bob = Peer::login(addr, "bob", "Android");
    bob.set_custom("after the crash");
    wait_change("bob", 1, Some("after the crash"));
    let mut heard = 0;
    while heard < CHILDREN {
        let (i, line) = expect_line(&rx, Duration::from_secs(30));
        assert_eq!(line, "HEARD", "child {i}");
        heard += 1;
    }
    for mut child in children {
        assert!(child.wait().expect("child exits").success());
    }
    for &tag in &tags {
        assert_eq!(results_with(tag), 0, "call {tag}: a second callback");
    }
    assert_eq!(TIMUninit(), 0);

    let first = reconnected.iter().min().copied().unwrap_or_default();
    let last = reconnected.iter().max().copied().unwrap_or_default();
    let spread = last - first;
    println!(
        "FIGURES: pending calls failed {detected:?} after SIGKILL; {CHILDREN} clients back \
         {}..{} ms after the restart, spread {spread} ms",
        first.saturating_sub(restarted_ms),
        last.saturating_sub(restarted_ms)
    );
    assert!(
        spread >= 30,
        "jittered backoff spreads the reconnects (got {spread} ms)"
    );
    assert!(
        last.saturating_sub(restarted_ms) < 5_000,
        "back within the 1.6 s backoff cap plus a login"
    );
    drop(server);
}

/// A library client in its own process (run by the test above): prints READY, DISCONNECTED,
/// FAILED per failed attempt, RECONNECTED <unix ms>, HEARD.
#[test]
fn child_library_client() {
    let (Ok(user), Ok(url)) = (std::env::var(CHILD_USER), std::env::var(CHILD_URL)) else {
        return;
    };
    let _g = serial();
    set_listeners();
    let fast = r#""sdk_config_reconnect_min_ms":100,"sdk_config_reconnect_max_ms":1600"#;
    assert_eq!(init(&url, fast), 0);
    login(&user);
    wait_network(TIMNetworkStatus::kTIMConnected);
    assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);
    println!("@@READY");
    let long = Duration::from_secs(120);
    wait_for("disconnect", long, |r| {
        matches!(
            r,
            Rec::Network {
                status: TIMNetworkStatus::kTIMDisconnected,
                ..
            }
        )
    });
    println!("@@DISCONNECTED");
    loop {
        let rec = wait_for("a connection attempt", long, |r| {
            matches!(
                r,
                Rec::Network {
                    status: TIMNetworkStatus::kTIMConnectFailed | TIMNetworkStatus::kTIMConnected,
                    ..
                }
            )
        });
        if matches!(
            rec,
            Rec::Network {
                status: TIMNetworkStatus::kTIMConnected,
                ..
            }
        ) {
            let at = unix_ms();
            restored();
            println!("@@RECONNECTED {at}");
            break;
        }
        println!("@@FAILED");
    }
    wait_for("bob's change", long, |r| match r {
        Rec::Changed(v) => v.to_string().contains("after the crash"),
        _ => false,
    });
    println!("@@HEARD");
    assert_eq!(TIMUninit(), 0);
}

/// Graceful shutdown: SIGTERM closes every session with 1001 (reconnect elsewhere), the process
/// exits 0, and the library reconnects to the server that takes over the address.
#[test]
fn sigterm_closes_sessions_with_1001_and_the_library_moves_on() {
    if std::env::var(CHILD_USER).is_ok() {
        return;
    }
    let _g = serial();
    let mut server = spawn_server(&toml(), "127.0.0.1:0");
    let addr = server.addr;
    let mut raw: Vec<Observer> = (0..3)
        .map(|i| Observer::login(addr, &format!("child{i}"), Duration::from_millis(500)))
        .collect();
    set_listeners();
    let fast = r#""sdk_config_reconnect_min_ms":50,"sdk_config_reconnect_max_ms":400"#;
    assert_eq!(init(&ws_url(addr), fast), 0);
    login("alice");
    wait_network(TIMNetworkStatus::kTIMConnected);
    assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);

    let t = Instant::now();
    server.signal("TERM");
    for peer in &mut raw {
        assert_eq!(peer.close_code(), Some(1001), "going away");
    }
    let status = server.wait_exit(Duration::from_secs(10));
    let exited_after = t.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    let _next = spawn_server(&toml(), &addr.to_string());
    wait_network(TIMNetworkStatus::kTIMConnected);
    restored();
    let mut bob = Peer::login(addr, "bob", "Android");
    bob.set_custom("on the new server");
    wait_change("bob", 1, Some("on the new server"));
    println!("FIGURES: SIGTERM to exit 0 in {exited_after:?}");
    assert_eq!(TIMUninit(), 0);
}
