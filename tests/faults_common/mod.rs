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
/// Without `data_dir` in `server_table`, the server keeps everything in memory (`data_dir = ""`).
pub fn server_toml(server_table: &str, accounts: &[&str], app_extra: &str) -> String {
    let accounts: Vec<String> = accounts.iter().map(|a| format!("{a:?}")).collect();
    let server_table = match server_table.contains("data_dir") {
        true => server_table.to_owned(),
        false => format!("data_dir = \"\"\n{server_table}"),
    };
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
        // The data directory is the config's (`server_toml`): never the default ./imsdk-data.
        let mut child = Command::new(server_binary())
            .env_remove("IMSDK_DATA_DIR")
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

// ---- a loopback TCP proxy that can go silent ---------------------------------------------------

/// Forwards every accepted connection to `upstream`, both ways. [`Proxy::go_silent`] makes the
/// connections open so far stop forwarding without closing (a dead mobile network): what they
/// read is dropped, their sockets stay open. [`Proxy::refuse`] closes new connections at once.
pub struct Proxy {
    pub addr: SocketAddr,
    state: std::sync::Arc<ProxyState>,
    /// One message each time the server side of a silent connection is closed by the server.
    pub upstream_closed: mpsc::Receiver<()>,
}

struct Link {
    silent: std::sync::Arc<AtomicBool>,
    client: TcpStream,
    server: TcpStream,
}

struct ProxyState {
    refusing: AtomicBool,
    /// Silence flags and both sockets of the connections opened so far.
    links: Mutex<Vec<Link>>,
}

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let state = std::sync::Arc::new(ProxyState {
            refusing: AtomicBool::new(false),
            links: Mutex::new(Vec::new()),
        });
        let (closed_tx, upstream_closed) = mpsc::channel();
        let st = std::sync::Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if st.refusing.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let silent = std::sync::Arc::new(AtomicBool::new(false));
                let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                st.links
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Link {
                        silent: std::sync::Arc::clone(&silent),
                        client: c,
                        server: s,
                    });
                pipe(&client, &server, &silent, None);
                pipe(&server, &client, &silent, Some(closed_tx.clone()));
            }
        });
        Proxy {
            addr,
            state,
            upstream_closed,
        }
    }

    /// Every connection open now stops forwarding, without closing.
    pub fn go_silent(&self) {
        for link in self
            .state
            .links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            link.silent.store(true, Ordering::SeqCst);
        }
    }

    /// Every connection open now is closed, both ways (a lost network that both ends notice).
    pub fn cut(&self) {
        for link in self
            .state
            .links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = link.client.shutdown(std::net::Shutdown::Both);
            let _ = link.server.shutdown(std::net::Shutdown::Both);
        }
    }

    /// New connections are closed at once (true) or forwarded (false).
    pub fn refuse(&self, refusing: bool) {
        self.state.refusing.store(refusing, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` until EOF; once `silent`, reads are dropped (and `to` is kept open).
/// `closed` hears of the EOF of a silent link.
fn pipe(
    from: &TcpStream,
    to: &TcpStream,
    silent: &std::sync::Arc<AtomicBool>,
    closed: Option<mpsc::Sender<()>>,
) {
    use std::io::{Read, Write};
    let (mut from, mut to) = (
        from.try_clone().expect("clone socket"),
        to.try_clone().expect("clone socket"),
    );
    let silent = std::sync::Arc::clone(silent);
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if !silent.load(Ordering::SeqCst) && to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        if silent.load(Ordering::SeqCst) {
            if let Some(tx) = closed {
                let _ = tx.send(());
            }
            // Keep `to` open: a silent network never tells the other side.
            std::mem::forget(to);
        } else {
            let _ = to.shutdown(std::net::Shutdown::Both);
        }
    });
}

// ---- an observer that keeps its own session alive ------------------------------------------------

/// A raw protocol client (another user) that heartbeats whenever it has waited `beat` for a
/// frame, so that short heartbeat timeouts do not end it.
pub struct Observer {
    ws: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
    /// Every status push received, in order.
    pub statuses: Vec<imsdk_protocol::UserStatus>,
}

impl Observer {
    pub fn login(addr: SocketAddr, user: &str, beat: Duration) -> Observer {
        let tcp = TcpStream::connect(addr).expect("observer connects");
        tcp.set_read_timeout(Some(beat)).expect("timeout");
        let (ws, _) = tungstenite::client(format!("ws://{addr}/ws"), tcp).expect("handshake");
        let mut o = Observer {
            ws,
            next_id: 1,
            statuses: Vec::new(),
        };
        let sig = imsdk_usersig::generate(1_400_000_001, "imsdk-dev-secret-key", user, 86_400);
        let code = o.request(|id| imsdk_protocol::ClientFrame::Login {
            id,
            version: imsdk_protocol::PROTOCOL_VERSION,
            sdk_app_id: 1_400_000_001,
            user_id: user.into(),
            user_sig: sig,
            platform: "Linux".into(),
            instance_id: format!("observer-{user}"),
        });
        assert_eq!(code, 0, "observer login");
        o
    }

    /// Sends a request; reads (heartbeating on silence) until its reply; returns its code.
    pub fn request(&mut self, frame: impl FnOnce(u64) -> imsdk_protocol::ClientFrame) -> i32 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(frame(id));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(std::time::Instant::now() < deadline, "reply {id} in time");
            if let Some(imsdk_protocol::ServerFrame::Reply { id: got, code, .. }) = self.read_one()
            {
                if got == id {
                    return code;
                }
            }
        }
    }

    pub fn subscribe(&mut self, ids: &[&str]) {
        let user_ids = ids.iter().map(|s| s.to_string()).collect();
        let code =
            self.request(|id| imsdk_protocol::ClientFrame::SubscribeUserStatus { id, user_ids });
        assert_eq!(code, 0);
    }

    /// Every push queued for this session so far (a heartbeat round trip flushes them).
    pub fn sync(&mut self) {
        assert_eq!(
            self.request(|id| imsdk_protocol::ClientFrame::Heartbeat { id }),
            0
        );
    }

    /// Waits up to `limit` for a push about `user` matching `pred`; returns it.
    pub fn wait_status(
        &mut self,
        user: &str,
        limit: Duration,
        pred: impl Fn(&imsdk_protocol::UserStatus) -> bool,
    ) -> imsdk_protocol::UserStatus {
        let deadline = std::time::Instant::now() + limit;
        let mut seen = self.statuses.len();
        loop {
            if let Some(s) = self.statuses[seen..]
                .iter()
                .find(|s| s.user_status_identifier == user && pred(s))
            {
                return s.clone();
            }
            seen = self.statuses.len();
            assert!(
                std::time::Instant::now() < deadline,
                "no matching status of {user} in {limit:?}; got {:?}",
                self.statuses
            );
            self.read_one();
        }
    }

    /// The pushes about `user`, in order.
    pub fn about(&self, user: &str) -> Vec<imsdk_protocol::UserStatus> {
        self.statuses
            .iter()
            .filter(|s| s.user_status_identifier == user)
            .cloned()
            .collect()
    }

    /// Reads until the connection ends: the close code, or None when it ended without one.
    pub fn close_code(&mut self) -> Option<u16> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "connection ends in time"
            );
            match self.ws.read() {
                Ok(tungstenite::Message::Close(c)) => {
                    return Some(c.map_or(1005, |f| f.code.into()))
                }
                Ok(_) => continue,
                Err(e) if is_read_timeout(&e) => continue,
                Err(_) => return None,
            }
        }
    }

    fn send(&mut self, frame: imsdk_protocol::ClientFrame) {
        self.ws
            .send(tungstenite::Message::text(imsdk_protocol::encode(&frame)))
            .expect("observer sends");
    }

    /// One frame, or None after `beat` of silence (then a heartbeat is sent).
    fn read_one(&mut self) -> Option<imsdk_protocol::ServerFrame> {
        match self.ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                let frame: imsdk_protocol::ServerFrame =
                    serde_json::from_str(t.as_str()).expect("server frame");
                if let imsdk_protocol::ServerFrame::StatusChanged { statuses } = &frame {
                    self.statuses.extend(statuses.iter().cloned());
                }
                Some(frame)
            }
            Ok(tungstenite::Message::Close(c)) => panic!("observer closed: {c:?}"),
            Ok(_) => None,
            Err(e) if is_read_timeout(&e) => {
                let id = self.next_id;
                self.next_id += 1;
                self.send(imsdk_protocol::ClientFrame::Heartbeat { id });
                None
            }
            Err(e) => panic!("observer: {e}"),
        }
    }
}

/// A read that ended because the socket's read timeout passed (nothing arrived).
fn is_read_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if matches!(
        io.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ))
}
