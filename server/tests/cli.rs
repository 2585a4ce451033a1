//! The `imsdk-server` binary: listening line, default app, config errors, usersig subcommand.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_imsdk-server");

/// Kills the child when dropped, so a failing test leaves no server behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and reads stdout up to the listening line; returns the lines and the address.
fn spawn(args: &[&str]) -> (Running, Vec<String>, std::net::SocketAddr) {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn imsdk-server");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("stdout line");
        if let Some(addr) = line.strip_prefix("imsdk-server listening on ") {
            let addr = addr.parse().expect("address");
            lines.push(line);
            return (running, lines, addr);
        }
        lines.push(line);
    }
    panic!("no listening line; got {lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn default_app_is_printed_and_served() {
    let (_server, lines, addr) = spawn(&["--listen", "127.0.0.1:0"]);
    let text = lines.join("\n");
    assert!(
        text.contains("1400000001")
            && text.contains("imsdk-dev-secret-key")
            && text.contains("administrator"),
        "{text}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("imsdk-server listening on"))
            .count(),
        1
    );
    let r = rest(
        addr,
        "/v4/im_open_login_svc/account_import",
        &serde_json::json!({"UserID": "alice"}),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0);
    let mut c = Client::login(addr, "alice", "Linux", "a").await;
    assert_eq!(c.heartbeat().await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_file_apps_and_accounts_are_used() {
    let dir = std::env::temp_dir().join(format!("imsdk-server-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("server.toml");
    std::fs::write(
        &path,
        r#"
[server]
max_frame_bytes = 8192

[[app]]
sdk_app_id = 1400000001
secret_key = "imsdk-dev-secret-key"
admin = "administrator"
plan = "basic"
user_status_enabled = false
friend_status_notify = false
heartbeat_timeout_s = 30
login_policy = "one_per_platform"
accounts = ["alice", "bob"]

[app.limits]
rate_calls = 3
"#,
    )
    .unwrap();
    let (_server, lines, addr) = spawn(&[
        "--config",
        path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(
        lines.len(),
        1,
        "only the listening line with a config: {lines:?}"
    );
    let mut c = Client::connect(addr).await;
    let reply = c.send_frame(&login_frame("bob", "Linux", "b")).await;
    assert_eq!(login_reply(&reply).heartbeat_timeout_s, 30);
    assert_eq!(
        c.get(&["alice"]).await.code,
        imsdk_protocol::code::INTERFACE_NOT_SUPPORT
    );
}

#[test]
fn bad_or_missing_config_exits_with_status_2() {
    let dir = std::env::temp_dir().join(format!("imsdk-server-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("not toml", "[[app]\n"),
        ("unknown plan", "[[app]]\nsdk_app_id=1\nsecret_key=\"k\"\nadmin=\"a\"\nplan=\"gold\"\nuser_status_enabled=true\nfriend_status_notify=true\n"),
        ("no app", "[server]\n"),
        ("zero limit", "[[app]]\nsdk_app_id=1\nsecret_key=\"k\"\nadmin=\"a\"\nplan=\"basic\"\nuser_status_enabled=true\nfriend_status_notify=true\n[app.limits]\nrate_calls=0\n"),
    ];
    for (name, text) in cases {
        let path = dir.join(format!("{}.toml", name.replace(' ', "_")));
        std::fs::write(&path, text).unwrap();
        let out = Command::new(BIN)
            .args([
                "--config",
                path.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(!out.stderr.is_empty(), "{name}: a clear error on stderr");
    }
    let out = Command::new(BIN)
        .args(["--config", "/nonexistent/imsdk.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/imsdk.toml"));
    let out = Command::new(BIN).args(["--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usersig_subcommand_prints_a_verifiable_usersig() {
    let out = Command::new(BIN)
        .args([
            "usersig",
            "--sdk-app-id",
            "1400000001",
            "--secret-key",
            "imsdk-dev-secret-key",
            "--user-id",
            "alice",
            "--expire",
            "600",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sig = String::from_utf8(out.stdout).unwrap();
    let now = imsdk_usersig::unix_now();
    let v = imsdk_usersig::verify(sig.trim(), APP, KEY, "alice", now).expect("valid UserSig");
    assert!(v.expires_at.abs_diff(now + 600) < 5);
    let out = Command::new(BIN)
        .args(["usersig", "--sdk-app-id", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
