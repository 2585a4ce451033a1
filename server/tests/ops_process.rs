//! The binary as operators run it: logs (levels, JSON, session spans, no secrets), SIGTERM
//! (sessions closed with 1001, pending webhooks flushed within a bound, exit 0), env settings.

mod common;
mod ops_common;

use common::*;
use ops_common::*;
use std::sync::atomic::Ordering;
use std::time::Duration;

const TOKEN: &str = "webhook-token-never-logged";

/// The binary with the dev app and accounts alice and bob (set through the environment too).
fn spawn(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
    let mut env = env.to_vec();
    env.push(("IMSDK_APP_ACCOUNTS", r#"["alice", "bob"]"#));
    spawn_server(args, &env)
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_have_session_spans_and_no_usersig_secret_or_token() {
    let (url, _calls) = receiver(false).await;
    let mut server = spawn(
        &["--listen", "127.0.0.1:0", "--log-json"],
        &[
            ("RUST_LOG", "trace"),
            ("IMSDK_APP_CALLBACK_URL", &url),
            ("IMSDK_APP_CALLBACK_TOKEN", TOKEN),
        ],
    );
    let user_sig = sig("alice");
    let mut alice = Client::login(server.addr, "alice", "Windows", "pc").await;
    assert_eq!(alice.set_status(Some("hello")).await.code, 0);
    // A refused login with a UserSig that must not appear either.
    let mut bad = Client::connect(server.addr).await;
    let mut frame = login_frame("bob", "iOS", "i");
    let wrong_sig = imsdk_usersig::generate(APP, "some-other-key", "bob", 3600);
    if let imsdk_protocol::ClientFrame::Login(imsdk_protocol::LoginRequest { user_sig, .. }) =
        &mut frame
    {
        *user_sig = wrong_sig.clone();
    }
    assert_ne!(bad.send_frame(&frame).await.code, 0);
    let (code, _) = server.terminate(Duration::from_secs(10));
    assert_eq!(code, Some(0));
    let logs = server.logs();
    for secret in [user_sig.as_str(), wrong_sig.as_str(), KEY, TOKEN] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let login = lines
        .iter()
        .find(|l| l["fields"]["message"] == "logged in")
        .unwrap_or_else(|| panic!("no login line in {logs}"));
    assert_eq!(login["level"], "DEBUG");
    let span = &login["span"];
    assert_eq!(span["name"], "session");
    assert_eq!(span["user"], "alice");
    assert_eq!(span["platform"], "Windows");
    assert_eq!(span["app"], APP);
    assert_eq!(span["peer"], "127.0.0.1");
    assert!(lines
        .iter()
        .any(|l| l["fields"]["message"] == "login refused" && l["fields"]["code"] == 70003));
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_log_sets_the_level() {
    // Default (info): refused logins and the shutdown, not every session; plain text, no colours.
    let mut server = spawn(&["--listen", "127.0.0.1:0"], &[]);
    let _alice = Client::login(server.addr, "alice", "Windows", "pc").await;
    let mut carol = Client::connect(server.addr).await;
    assert_ne!(carol.send_frame(&refused_login("carol")).await.code, 0);
    assert_eq!(server.terminate(Duration::from_secs(10)).0, Some(0));
    let logs = server.logs();
    assert!(
        logs.contains("login refused") && logs.contains("graceful shutdown"),
        "{logs}"
    );
    assert!(
        !logs.contains("logged in") && !logs.contains('\x1b'),
        "{logs}"
    );

    let mut server = spawn(&["--listen", "127.0.0.1:0"], &[("RUST_LOG", "warn")]);
    let mut carol = Client::connect(server.addr).await;
    assert_ne!(carol.send_frame(&refused_login("carol")).await.code, 0);
    assert_eq!(server.terminate(Duration::from_secs(10)).0, Some(0));
    let logs = server.logs();
    assert!(!logs.contains("login refused"), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_closes_sessions_with_1001_and_delivers_pending_webhooks() {
    // Each callback takes 300 ms to answer: at SIGTERM the events are still in flight.
    let (url, delivered) = slow_receiver(Duration::from_millis(300)).await;
    let mut server = spawn(
        &["--listen", "127.0.0.1:0"],
        &[("IMSDK_APP_CALLBACK_URL", &url)],
    );
    let mut alice = Client::login(server.addr, "alice", "Windows", "pc").await;
    let mut bob = Client::login(server.addr, "bob", "Android", "phone").await;
    let (code, took) = server.terminate(Duration::from_secs(10));
    assert_eq!(code, Some(0));
    assert_eq!(alice.end().await, close_code(1001));
    assert_eq!(bob.end().await, close_code(1001));
    // 2 logins and 2 disconnects, every one answered before the process ended.
    assert_eq!(delivered.load(Ordering::SeqCst), 4, "after {took:?}");
    eprintln!("SIGTERM to exit with 4 pending webhooks: {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_gives_up_on_a_hanging_webhook_after_the_flush_bound() {
    let (url, _calls) = receiver(true).await;
    let mut server = spawn(
        &["--listen", "127.0.0.1:0"],
        &[
            ("IMSDK_APP_CALLBACK_URL", &url),
            ("IMSDK_SERVER_WEBHOOK_TIMEOUT_MS", "60000"),
            ("IMSDK_SERVER_WEBHOOK_FLUSH_MS", "500"),
        ],
    );
    let _alice = Client::login(server.addr, "alice", "Windows", "pc").await;
    let (code, took) = server.terminate(Duration::from_secs(10));
    assert_eq!(code, Some(0));
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_come_from_env_and_bad_ones_exit_2() {
    let server = spawn(
        &[],
        &[
            ("IMSDK_LISTEN", "127.0.0.1:0"),
            ("IMSDK_APP_HEARTBEAT_TIMEOUT_S", "33"),
        ],
    );
    let mut c = Client::connect(server.addr).await;
    let reply = c.send_frame(&login_frame("alice", "Windows", "pc")).await;
    assert_eq!(login_reply(&reply).heartbeat_timeout_s, 33);
    drop(server);
    for (name, value) in [
        ("IMSDK_SERVER_OUTBOUND_QUEUE", "0"),
        ("IMSDK_SERVER_NO_SUCH_SETTING", "1"),
        ("IMSDK_LISTEN", "nowhere"),
        ("IMSDK_TLS_CERT", "/nonexistent.pem"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_imsdk-server"))
            .env("IMSDK_LISTEN", "127.0.0.1:0")
            .env(name, value)
            .output()
            .expect("run");
        assert_ne!(out.status.code(), Some(0), "{name}");
        assert!(!out.stderr.is_empty(), "{name}: an error on stderr");
    }
}

/// A login the server refuses: a UserSig made with another key (the dev app imports any account
/// on its first valid login, so an unknown account is no longer a refusal).
fn refused_login(user: &str) -> imsdk_protocol::ClientFrame {
    let mut frame = login_frame(user, "iOS", "i");
    if let imsdk_protocol::ClientFrame::Login(imsdk_protocol::LoginRequest { user_sig, .. }) =
        &mut frame
    {
        *user_sig = imsdk_usersig::generate(APP, "not-the-key", user, 3600);
    }
    frame
}
