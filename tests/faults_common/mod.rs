//! Fault-test helpers: the real `imsdk-server` binary as a child process (so it can be stopped,
//! SIGKILLed and SIGTERMed like in production; from the test kit), this test binary re-run as child
//! processes (the library is one instance per process; several clients need several processes), and
//! a loopback proxy that can go silent.
#![allow(dead_code, unused_imports)]

pub use imsdk_testkit::peer::Observer;
pub use imsdk_testkit::process::ServerProcess;
use imsdk_testkit::process::{server_binary, ServerCommand};

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

/// A server TOML with the dev app, `accounts` imported and `extra` lines added to `[[app]]`.
/// Without `data_dir` in `server_table`, the server keeps everything in memory (`data_dir = ""`).
pub fn server_toml(server_table: &str, accounts: &[&str], app_extra: &str) -> String {
    let server_table = match server_table.contains("data_dir") {
        true => server_table.to_owned(),
        false => format!("data_dir = \"\"\n{server_table}"),
    };
    let app = imsdk_testkit::dev::app_toml(accounts, false, app_extra);
    format!("[server]\n{server_table}\n\n{app}\n")
}

/// Starts the server binary with `toml` on `listen` (the data directory is the config's, never the
/// default ./imsdk-data).
pub fn spawn_server(toml: &str, listen: &str) -> ServerProcess {
    ServerCommand::new(server_binary())
        .env_remove("IMSDK_DATA_DIR")
        .config_toml(toml)
        .args(["--listen", listen])
        .spawn()
}

/// A server with `config`, a [`Proxy`] in front of it, and the library (the recorder's listeners
/// set, `init_extra` added to its config) logged in as alice through the proxy. (Test files using
/// this declare `mod common;` too.)
pub fn alice_behind_proxy(
    config: imsdk_server::config::Config,
    init_extra: &str,
) -> (imsdk_server::ServerHandle, Proxy) {
    use crate::common::{init, login, set_listeners, start_server, ws_url};
    let server = start_server(config);
    let proxy = Proxy::start(server.addr());
    set_listeners();
    assert_eq!(init(&ws_url(proxy.addr), init_extra), 0);
    login("alice");
    (server, proxy)
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
