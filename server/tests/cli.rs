//! The `imsdk-server` binary: listening line, default app, data directory, config errors, and the
//! commands `--version`, `usersig`, `config`, `check-config`, `default-config`.

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
    // A data directory of its own unless the test names one (the default is ./imsdk-data).
    let data = std::env::temp_dir().join(format!(
        "imsdk-cli-{}-{}",
        std::process::id(),
        args.join("_").len()
    ));
    let child = Command::new(BIN)
        .env("IMSDK_DATA_DIR", &data)
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
        2,
        "only the data directory and listening lines with a config: {lines:?}"
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

/// A scratch directory of this test process, emptied first.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("imsdk-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run imsdk-server");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_names_the_commit_build_date_and_features() {
    let (code, out, _) = run(&["--version"], &[]);
    assert_eq!(code, Some(0));
    let first = out.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!("imsdk-server {}", env!("CARGO_PKG_VERSION")),
        "{out}"
    );
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} line in {out}"))
            .trim()
            .to_owned()
    };
    // Built from this checkout: the commit is HEAD's (when git is here to say).
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        assert_eq!(
            field("commit:"),
            String::from_utf8_lossy(&head.stdout).trim()
        );
    }
    let date = field("built:");
    assert!(
        date.len() == 20 && date.ends_with('Z') && date.as_bytes()[10] == b'T',
        "RFC 3339 UTC date: {date}"
    );
    assert_eq!(field("features:"), "none");
    // Every command has --help and --version.
    for command in ["usersig", "config", "check-config", "default-config"] {
        let (code, out, _) = run(&[command, "--help"], &[]);
        assert_eq!(code, Some(0), "{command} --help");
        assert!(out.contains("Usage: imsdk-server"), "{command}: {out}");
        let (code, out, _) = run(&[command, "--version"], &[]);
        assert_eq!(code, Some(0), "{command} --version");
        assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
    }
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("check-config") && out.contains("--data-dir"),
        "{out}"
    );
}

#[test]
fn config_masks_secrets_and_names_each_source() {
    let dir = scratch("config");
    let path = dir.join("server.toml");
    std::fs::write(
        &path,
        r#"
[server]
max_frame_bytes = 8192

[[app]]
sdk_app_id = 1400000001
secret_key = "file-secret-key-1234"
admin = "administrator"
plan = "basic"
user_status_enabled = true
friend_status_notify = false
callback_url = "http://hooks:8080/cb"
callback_token = "file-callback-token-5678"
"#,
    )
    .unwrap();
    let data = dir.join("data");
    let (code, out, err) = run(
        &["config", "--config", path.to_str().unwrap()],
        &[
            (
                "IMSDK_SERVER_REDIS",
                "redis://app:redis-password-90@10.0.0.5:6379/1",
            ),
            ("IMSDK_APP_LIMITS_RATE_CALLS", "7"),
            ("IMSDK_DATA_DIR", data.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    for secret in [
        "file-secret-key-1234",
        "file-callback-token-5678",
        "redis-password-90",
    ] {
        assert!(!out.contains(secret), "{secret} shown:\n{out}");
    }
    let line = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in\n{out}"))
    };
    let has = |key: &str, value: &str, source: &str| {
        let l = line(key);
        let (assignment, comment) = l.split_once(" # ").expect("a source comment");
        assert_eq!(assignment.trim(), format!("{key} = {value}"), "{l}");
        assert_eq!(comment, source, "{l}");
    };
    has("max_frame_bytes", "8192", "file");
    has("outbound_queue", "4096", "default");
    has("secret_key", "\"********\"", "file");
    has("callback_token", "\"********\"", "file");
    has("callback_url", "\"http://hooks:8080/cb\"", "file");
    has(
        "redis",
        "\"redis://app:****@10.0.0.5:6379/1\"",
        "environment IMSDK_SERVER_REDIS",
    );
    has("rate_calls", "7", "environment IMSDK_APP_LIMITS_RATE_CALLS");
    has("get_max_ids", "500", "default");
    has(
        "data_dir",
        &format!("{:?}", data.to_str().unwrap()),
        "environment IMSDK_DATA_DIR",
    );
    // A flag wins over the variables and says so.
    let (code, out, _) = run(
        &[
            "config",
            "--config",
            path.to_str().unwrap(),
            "--redis",
            "redis://other:6379",
        ],
        &[("IMSDK_SERVER_REDIS", "redis://:x@10.0.0.5:6379")],
    );
    assert_eq!(code, Some(0));
    assert!(
        out.lines()
            .any(|l| l.starts_with("redis = \"redis://other:6379\"")
                && l.ends_with("# flag --redis")),
        "{out}"
    );
    // The output is TOML the server reads back (with the masked values).
    let copy = dir.join("effective.toml");
    std::fs::write(&copy, &out).unwrap();
    let (code, _, err) = run(&["check-config", copy.to_str().unwrap()], &[]);
    assert_eq!(code, Some(0), "{err}");
    // Without a file: the development app, every value a default.
    let (code, out, _) = run(&["config"], &[]);
    assert_eq!(code, Some(0));
    assert!(out.contains("sdk_app_id = 1400000001"), "{out}");
    assert!(!out.contains("imsdk-dev-secret-key"), "{out}");
    assert!(
        !out.contains("# file") && !out.contains("# environment"),
        "{out}"
    );
    // A bad variable is refused as a run refuses it.
    let (code, _, err) = run(&["config"], &[("IMSDK_SERVER_OUTBOUND_QUEUE", "many")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("IMSDK_SERVER_"), "{err}");
}

#[test]
fn check_config_exits_0_for_a_valid_file_and_2_with_the_reason() {
    let dir = scratch("check");
    let (code, template, _) = run(&["default-config"], &[]);
    assert_eq!(code, Some(0));
    let good = dir.join("imsdk.toml");
    std::fs::write(&good, &template).unwrap();
    let (code, out, err) = run(&["check-config", good.to_str().unwrap()], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(": ok"), "{out}");
    assert!(
        err.contains("placeholder secret_key"),
        "the template's key is flagged: {err}"
    );

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        template.replace("plan = \"ultimate\"", "plan = \"gold\""),
    )
    .unwrap();
    let (code, _, err) = run(&["check-config", bad.to_str().unwrap()], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("bad.toml") && err.contains("gold"), "{err}");

    let (code, _, err) = run(&["check-config", "/nonexistent/imsdk.toml"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/imsdk.toml"), "{err}");
    let (code, _, _) = run(&["check-config"], &[]);
    assert_eq!(code, Some(2), "the file is required");
}

#[test]
fn data_dir_is_printed_absolute_flag_over_variable_over_default() {
    let dir = scratch("datadir");
    let path = |args: &[&str], env: &[(&str, &str)]| {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut running = Running(child);
        let line = BufReader::new(stdout)
            .lines()
            .map(|l| l.unwrap())
            .find_map(|l| l.strip_prefix("data directory: ").map(str::to_owned))
            .expect("a data directory line");
        let _ = running.0.kill();
        line
    };
    let d = dir.to_str().unwrap();
    assert_eq!(path(&[], &[]), format!("{d}/imsdk-data"));
    assert_eq!(
        path(&[], &[("IMSDK_DATA_DIR", "var-dir")]),
        format!("{d}/var-dir")
    );
    assert_eq!(
        path(
            &["--data-dir", "/srv/imsdk"],
            &[("IMSDK_DATA_DIR", "var-dir")]
        ),
        "/srv/imsdk"
    );
}
