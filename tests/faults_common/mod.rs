//! Fault-test helpers: the real `imsdk-server` binary as a child process (so it can be stopped,
//! SIGKILLed and SIGTERMed like in production), and this test binary re-run as child processes
//! (the library is one instance per process; several clients need several processes).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `target/<profile>/imsdk-server`, built first if this test run did not build it.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("imsdk-server");
    if !bin.exists() {
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "-p", "imsdk-server", "--bin", "imsdk-server"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo build runs");
        assert!(status.success(), "cargo build -p imsdk-server");
    }
    bin
}

/// A server TOML with the dev app, `accounts` imported and `extra` lines added to `[[app]]`.
pub fn server_toml(server_table: &str, accounts: &[&str], app_extra: &str) -> String {
    let accounts: Vec<String> = accounts.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "[server]\n{server_table}\n\n[[app]]\nsdk_app_id = 1400000001\nsecret_key = \"imsdk-dev-secret-key\"\n\
         admin = \"administrator\"\nplan = \"ultimate\"\nuser_status_enabled = true\n\
         friend_status_notify = false\naccounts = [{}]\n{app_extra}\n",
        accounts.join(",")
    )
}

/// The server binary running as a child process.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    _stdout: ChildStdout,
}

impl ServerProcess {
    /// Starts the binary with `toml` on `listen` and waits for its "listening on" line.
    pub fn spawn(toml: &str, listen: &str) -> ServerProcess {
        let path = std::env::temp_dir().join(format!(
            "imsdk-faults-{}-{}.toml",
            std::process::id(),
            listen.replace([':', '.'], "_")
        ));
        std::fs::write(&path, toml).expect("write config");
        let mut child = Command::new(server_binary())
            .args([
                "--config",
                path.to_str().expect("utf-8 path"),
                "--listen",
                listen,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn imsdk-server");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            let n = stdout.read_line(&mut line).expect("read server stdout");
            assert!(n > 0, "imsdk-server exited before listening");
            if let Some(addr) = line.trim().strip_prefix("imsdk-server listening on ") {
                break addr.parse().expect("listen address");
            }
        };
        ServerProcess {
            child,
            addr,
            _stdout: stdout.into_inner(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`STOP`, `CONT`, `TERM`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGKILL, and wait until the process is gone (its sockets are closed then).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit within `limit`.
    pub fn wait_exit(mut self, limit: Duration) -> ExitStatus {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::spawn(move || {
            let status = self.child.wait().expect("wait");
            let _ = tx.send(status);
        });
        let status = rx.recv_timeout(limit).expect("server exits in time");
        let _ = handle.join();
        status
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Re-runs this test binary for the single test `name` with `env`; stdout piped.
pub fn spawn_child_test(name: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test exe"));
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child test")
}

/// Forwards what follows `@@` on each line of a child's stdout, tagged, to `tx` (so waits can
/// time out); the test harness's own output is left out (it may share the first line).
pub fn forward_lines(child: &mut Child, tag: usize, tx: mpsc::Sender<(usize, String)>) {
    let out = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let Some((_, line)) = line.split_once("@@") else {
                continue;
            };
            if tx.send((tag, line.to_owned())).is_err() {
                break;
            }
        }
    });
}

/// Unix time in milliseconds.
pub fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}
