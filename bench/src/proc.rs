//! The server under test, in its own process: spawned, its address read from its "listening on"
//! line, its RSS and CPU time read from /proc, killed on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub const APP: u64 = 1_400_000_001;
pub const KEY: &str = "imsdk-dev-secret-key";

/// A running server process.
pub struct ServerProc {
    child: Child,
    pub addr: std::net::SocketAddr,
    config: Option<PathBuf>,
    /// A data directory of its own, removed with the server.
    data: Option<PathBuf>,
}

/// Whether the servers `ours` starts keep durable data (a fresh data directory each) or run in
/// memory only (`data_dir = ""`): the storage benchmark runs the same benchmarks both ways.
static DURABLE: AtomicBool = AtomicBool::new(false);

pub fn set_durable(on: bool) {
    DURABLE.store(on, Ordering::Relaxed);
}

/// A fresh, empty directory for one server's data.
pub fn fresh_data_dir(name: &str) -> Result<PathBuf, String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "imsdk-bench-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Resident memory and CPU time consumed so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub rss_kib: u64,
    pub cpu_s: f64,
}

impl ServerProc {
    /// `imsdk-server` (the release or debug binary next to this one) with accounts u0..u{accounts-1},
    /// in memory or on a fresh data directory (see [`set_durable`]).
    pub fn ours(accounts: usize, outbound_queue: usize) -> Result<ServerProc, String> {
        let data = match DURABLE.load(Ordering::Relaxed) {
            true => Some(fresh_data_dir("data")?),
            false => None,
        };
        let mut server = ServerProc::ours_on(accounts, outbound_queue, data.as_deref())?;
        server.data = data;
        Ok(server)
    }

    /// `imsdk-server` on the data directory `data` (None: in memory only), left in place.
    pub fn ours_on(
        accounts: usize,
        outbound_queue: usize,
        data: Option<&Path>,
    ) -> Result<ServerProc, String> {
        let ids: Vec<String> = (0..accounts).map(|i| format!("\"{}\"", user(i))).collect();
        let config = std::env::temp_dir().join(format!(
            "imsdk-bench-{}-{accounts}.toml",
            std::process::id()
        ));
        let data_dir = data.map_or(String::new(), |d| d.display().to_string());
        // 0: the server's default.
        let queue = match outbound_queue {
            0 => String::new(),
            n => format!("outbound_queue = {n}\n"),
        };
        let toml = format!(
            "[server]\n{queue}data_dir = {data_dir:?}\n\n[[app]]\nsdk_app_id = {APP}\n\
             secret_key = \"{KEY}\"\nadmin = \"administrator\"\nplan = \"ultimate\"\n\
             user_status_enabled = true\nfriend_status_notify = false\naccounts = [{}]\n",
            ids.join(",")
        );
        std::fs::write(&config, toml).map_err(|e| format!("write {}: {e}", config.display()))?;
        let mut cmd = wrapped(sibling("imsdk-server")?);
        cmd.arg("--config").arg(&config);
        // The server logs each session at info: thousands of lines per run. RUST_LOG overrides.
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let mut server = ServerProc::spawn(cmd)?;
        server.config = Some(config);
        Ok(server)
    }

    /// The baseline broadcast server: this binary's hidden `baseline-server` subcommand.
    pub fn baseline() -> Result<ServerProc, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = wrapped(exe);
        cmd.arg("baseline-server");
        ServerProc::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Result<ServerProc, String> {
        let mut child = cmd
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {cmd:?}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let addr = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split_once("listening on ")
                    .and_then(|(_, a)| a.trim().parse().ok())
            });
        match addr {
            Some(addr) => Ok(ServerProc {
                child,
                addr,
                config: None,
                data: None,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("{cmd:?} printed no \"listening on\" line"))
            }
        }
    }

    pub fn usage(&self) -> Usage {
        usage_of(self.child.id())
    }
}

impl Drop for ServerProc {
    /// SIGTERM first (a profiler wrapping the server writes its output on a graceful exit), then
    /// SIGKILL if it is still running after 10 s.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signalling our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(config) = &self.config {
            let _ = std::fs::remove_file(config);
        }
        if let Some(data) = &self.data {
            let _ = std::fs::remove_dir_all(data);
        }
    }
}

/// `program`, or with IMSDK_BENCH_WRAP="valgrind --tool=callgrind ..." that command running it
/// (servers under a profiler).
fn wrapped(program: PathBuf) -> Command {
    let wrap = std::env::var("IMSDK_BENCH_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    match words.next() {
        Some(wrapper) => {
            let mut cmd = Command::new(wrapper);
            cmd.args(words).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

/// The account name of user `i`.
pub fn user(i: usize) -> String {
    format!("u{i}")
}

/// A binary built next to this one (same target directory and profile).
pub fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it first (scripts/bench.sh does)",
            path.display()
        ))
    }
}

/// RSS (VmRSS) and user+system CPU seconds of a process, from /proc.
pub fn usage_of(pid: u32) -> Usage {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Usage {
        rss_kib,
        cpu_s: ticks as f64 / hz,
    }
}

/// Raises this process's open-file soft limit to its hard limit (children inherit it); returns it.
pub fn raise_fd_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for both calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_cur = lim.rlim_max;
        let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX)
}
