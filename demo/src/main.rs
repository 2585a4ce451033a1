//! The seed's story with three users, each a real SDK instance driven through the C ABI.
//!
//! `cargo run --release -p imsdk-demo` starts an in-process `imsdk-server` (or uses the one at
//! `IMSDK_SERVER_URL`, importing the accounts through its admin REST API with the app's
//! `IMSDK_SECRET_KEY`, the development key by default), then re-runs itself once per user, since
//! the library is one per process: `imsdk-demo --user NAME --url URL`. The parent sends each child
//! one command per line and prints what every user sees. `tests/demo.rs` of the library runs it
//! as a test.

use std::ffi::{c_char, c_void, CStr, CString};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Condvar, Mutex};
use std::time::Duration;
use ImSDK::*;

const APP: u64 = 1_400_000_001;
const DEV_KEY: &str = "imsdk-dev-secret-key";
const USERS: [(&str, &str); 3] = [
    ("alice", "Windows"),
    ("bob", "Android"),
    ("carol", "iPhone"),
];
const WAIT: Duration = Duration::from_secs(15);

pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, user, url_flag, url, ..] = args.as_slice() {
        if flag == "--user" && url_flag == "--url" {
            return child(user, url);
        }
    }
    parent();
}

// ---- the parent: server, children, the story --------------------------------------------------

struct User {
    name: &'static str,
    stdin: ChildStdin,
    process: Child,
}

struct Story {
    users: Vec<User>,
    lines: Receiver<(&'static str, String)>,
    /// Lines received but not yet waited for.
    unclaimed: Vec<(&'static str, String)>,
}

impl Story {
    fn user(&mut self, name: &str) -> &mut User {
        self.users
            .iter_mut()
            .find(|u| u.name == name)
            .expect("known user")
    }

    /// Sends `cmd` to `name` and waits until it reports the result, which must be a success.
    fn run(&mut self, name: &'static str, cmd: &str) -> String {
        let u = self.user(name);
        writeln!(u.stdin, "{cmd}").expect("child alive");
        let done = self.expect(name, "done ");
        assert!(done.contains("→ ok"), "{name}: {done}");
        done
    }

    /// Waits for a line from `name` starting with `prefix` (lines are printed as they arrive;
    /// one seen earlier but not yet expected counts).
    fn expect(&mut self, name: &str, prefix: &str) -> String {
        loop {
            if let Some(i) = self
                .unclaimed
                .iter()
                .position(|(w, l)| *w == name && l.starts_with(prefix))
            {
                return self.unclaimed.remove(i).1;
            }
            let (who, line) = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("timed out waiting for {name} to report {prefix:?}"));
            let shown = line.strip_prefix("done ").unwrap_or(&line);
            println!("  {who:<6}│ {shown}");
            self.unclaimed.push((who, line));
        }
    }
}

fn step(text: &str) {
    println!("\n▶ {text}");
}

fn parent() {
    let (url, server, data) = match std::env::var("IMSDK_SERVER_URL") {
        Ok(url) => {
            import_accounts(&url);
            (url, None, None)
        }
        Err(_) => {
            let mut config = imsdk_server::config::Config::dev_default();
            config.apps[0].accounts = USERS.iter().map(|(u, _)| u.to_string()).collect();
            // A fresh data directory of the demo's own (the embedded store's database,
            // docs/STORAGE.md), removed when the demo ends.
            let data = std::env::temp_dir().join(format!("imsdk-demo-{}", std::process::id()));
            config.server.data_dir = Some(data.display().to_string());
            let server =
                imsdk_server::ServerHandle::start(config, "127.0.0.1:0".parse().expect("addr"))
                    .expect("start imsdk-server");
            (
                format!("ws://{}/ws", server.addr()),
                Some(server),
                Some(data),
            )
        }
    };
    println!("imsdk demo: three users on {url}");
    let exe = std::env::current_exe().expect("own path");
    let (tx, lines) = channel();
    let users = USERS
        .iter()
        .map(|(name, _)| {
            let mut process = Command::new(&exe)
                .args(["--user", name, "--url", &url])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a user process");
            forward(name, process.stdout.take().expect("stdout"), tx.clone());
            User {
                name,
                stdin: process.stdin.take().expect("stdin"),
                process,
            }
        })
        .collect();
    let mut s = Story {
        users,
        lines,
        unclaimed: Vec::new(),
    };

    step("Everyone logs in (each user is its own process and SDK instance)");
    for (name, _) in USERS {
        s.run(name, "login");
    }
    step("Alice follows Bob and Carol");
    s.run("alice", "subscribe bob,carol");
    step("Bob sets a custom status");
    s.run("bob", "set in a match");
    s.expect("alice", "bob is ONLINE “in a match” on Android");
    step("Carol looks up Alice and Bob");
    let got = s.run("carol", "get alice,bob");
    assert!(
        got.contains("bob is ONLINE “in a match” on Android"),
        "{got}"
    );
    step("Carol sets a status, then clears it");
    s.run("carol", "set looking for a team");
    s.expect("alice", "carol is ONLINE “looking for a team”");
    s.run("carol", "set ");
    s.expect("alice", "carol is ONLINE on iPhone");
    step("Carol logs out: UNLOGINED");
    s.run("carol", "logout");
    s.expect("alice", "carol is UNLOGINED");
    step("Bob's connection drops without a logout: OFFLINE, custom status cleared");
    s.run("bob", "drop");
    s.expect("alice", "bob is OFFLINE");
    step("Alice unsubscribes and logs out; the demo ends");
    s.run("alice", "unsubscribe");
    s.run("alice", "logout");
    for mut u in s.users {
        let _ = writeln!(u.stdin, "quit");
        let _ = u.process.wait();
    }
    drop(server);
    if let Some(data) = data {
        let _ = std::fs::remove_dir_all(data);
    }
    println!("\ndone.");
}

fn forward(name: &'static str, out: std::process::ChildStdout, tx: Sender<(&'static str, String)>) {
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send((name, line)).is_err() {
                break;
            }
        }
    });
}

/// The app's secret key: `IMSDK_SECRET_KEY` for an external server, else the development key.
/// The user processes inherit the variable, so their UserSigs match the server's app too.
fn secret_key() -> String {
    std::env::var("IMSDK_SECRET_KEY").unwrap_or_else(|_| DEV_KEY.into())
}

/// Imports the demo's accounts into an external server (admin REST, app 1400000001).
fn import_accounts(ws_url: &str) {
    let host = ws_url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:7788");
    let admin_sig = imsdk_usersig::generate(APP, &secret_key(), "administrator", 3600);
    for (user, _) in USERS {
        let body = format!(r#"{{"UserID":"{user}"}}"#);
        let path = format!(
            "/v4/im_open_login_svc/account_import?sdkappid={APP}&identifier=administrator&usersig={admin_sig}&random=1&contenttype=json"
        );
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut tcp = std::net::TcpStream::connect(host).expect("reach the server's REST API");
        tcp.write_all(request.as_bytes()).expect("send import");
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut tcp, &mut reply).expect("read import reply");
        assert!(
            reply.contains("\"OK\""),
            "account import of {user} failed: {reply}"
        );
    }
}

// ---- a child: one user, one SDK instance --------------------------------------------------------

struct Done {
    result: Mutex<Option<(i32, String)>>,
    ready: Condvar,
}

static DONE: Done = Done {
    result: Mutex::new(None),
    ready: Condvar::new(),
};

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

unsafe extern "C" fn on_result(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    _ud: *const c_void,
) {
    let detail = if code == 0 {
        text(json)
    } else {
        format!("{} {}", code, text(desc))
    };
    *DONE.result.lock().unwrap_or_else(|e| e.into_inner()) = Some((code, detail));
    DONE.ready.notify_all();
}

unsafe extern "C" fn on_changed(json: *const c_char, _ud: *const c_void) {
    let statuses: Vec<serde_json::Value> = serde_json::from_str(&text(json)).unwrap_or_default();
    for s in statuses {
        println!("{}", describe(&s));
    }
}

unsafe extern "C" fn on_network(
    status: TIMNetworkStatus,
    code: i32,
    _desc: *const c_char,
    _ud: *const c_void,
) {
    if status != TIMNetworkStatus::kTIMConnected && status != TIMNetworkStatus::kTIMConnecting {
        println!("(network: {status:?}, code {code})");
    }
}

/// "bob is ONLINE “in a match” on Android".
fn describe(s: &serde_json::Value) -> String {
    let state = match s["user_status_status_type"].as_u64() {
        Some(1) => "ONLINE",
        Some(2) => "OFFLINE",
        Some(3) => "UNLOGINED",
        _ => "UNKNOWN",
    };
    let custom = s["user_status_custom_status"].as_str().unwrap_or_default();
    let custom = if custom.is_empty() {
        String::new()
    } else {
        format!(" “{custom}”")
    };
    let devices: Vec<&str> = s["user_status_online_devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str())
        .collect();
    let devices = if devices.is_empty() {
        String::new()
    } else {
        format!(" on {}", devices.join(", "))
    };
    format!(
        "{} is {state}{custom}{devices}",
        s["user_status_identifier"].as_str().unwrap_or("?")
    )
}

/// Makes one call and waits for its callback.
fn call(name: &str, f: impl FnOnce() -> i32) -> (i32, String) {
    *DONE.result.lock().unwrap_or_else(|e| e.into_inner()) = None;
    let rc = f();
    if rc != 0 {
        return (rc, format!("refused: {rc}"));
    }
    let guard = DONE.result.lock().unwrap_or_else(|e| e.into_inner());
    let (mut guard, _) = DONE
        .ready
        .wait_timeout_while(guard, WAIT, |r| r.is_none())
        .unwrap_or_else(|e| e.into_inner());
    guard
        .take()
        .unwrap_or_else(|| (-1, format!("{name}: no answer")))
}

fn child(user: &str, url: &str) {
    let platform = USERS
        .iter()
        .find(|(u, _)| *u == user)
        .map_or("Linux", |(_, p)| p);
    let config = CString::new(format!(
        r#"{{"sdk_config_server_url":"{url}","sdk_config_platform":"{platform}"}}"#
    ))
    .expect("config");
    assert_eq!(unsafe { TIMInit(APP, config.as_ptr()) }, 0, "TIMInit");
    TIMSetUserStatusChangedCallback(Some(on_changed), std::ptr::null());
    TIMSetNetworkStatusListenerCallback(Some(on_network), std::ptr::null());
    let cb: TIMCommCallback = Some(on_result);
    let ids = |list: &str| {
        CString::new(serde_json::to_string(&list.split(',').collect::<Vec<_>>()).expect("json"))
            .expect("c")
    };
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let (code, detail) = match cmd {
            "login" => {
                let (u, s) = (
                    CString::new(user).expect("c"),
                    CString::new(imsdk_usersig::generate(APP, &secret_key(), user, 86_400))
                        .expect("c"),
                );
                call(cmd, || unsafe {
                    TIMLogin(u.as_ptr(), s.as_ptr(), cb, std::ptr::null())
                })
            }
            "subscribe" => call(cmd, || unsafe {
                SubscribeUserStatus(ids(arg).as_ptr(), cb, std::ptr::null())
            }),
            "unsubscribe" => call(cmd, || unsafe {
                UnsubscribeUserStatus(std::ptr::null(), cb, std::ptr::null())
            }),
            "set" => {
                let json = CString::new(
                    serde_json::json!({ "user_status_custom_status": arg }).to_string(),
                )
                .expect("c");
                call(cmd, || unsafe {
                    SetSelfStatus(json.as_ptr(), cb, std::ptr::null())
                })
            }
            "get" => {
                let (code, json) = call(cmd, || unsafe {
                    GetUserStatus(ids(arg).as_ptr(), cb, std::ptr::null())
                });
                let list: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap_or_default();
                (
                    code,
                    list.iter().map(describe).collect::<Vec<_>>().join("; "),
                )
            }
            "logout" => call(cmd, || unsafe { TIMLogout(cb, std::ptr::null()) }),
            "drop" => (TIMUninit(), String::new()),
            "quit" => break,
            _ => (-4, format!("unknown command {cmd}")),
        };
        let what = if arg.is_empty() {
            cmd.to_owned()
        } else {
            format!("{cmd} {arg}")
        };
        let outcome = if code == 0 {
            "ok".to_owned()
        } else {
            format!("error {code}")
        };
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        println!("done {what} → {outcome}{detail}");
    }
    TIMUninit();
}
