//! The server under test, in its own process: spawned, its address read from its "listening on"
//! line, its RSS and CPU time read from /proc, killed on drop.

use imsdk_testkit::process::{ServerCommand, ServerProcess};
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use imsdk_testkit::{APP, KEY};

/// A running server process (the test kit's): SIGTERM on drop, SIGKILL if still running after
/// 10 s (a profiler wrapping the server writes its output on a graceful exit); its config file and
/// data directory of its own are removed with it.
pub struct ServerProc {
    process: ServerProcess,
    pub addr: std::net::SocketAddr,
}

/// Whether the servers `ours` starts keep durable data (a fresh data directory each) or run in
/// memory only (`data_dir = ""`): the storage benchmark runs the same benchmarks both ways.
static DURABLE: AtomicBool = AtomicBool::new(false);

pub fn set_durable(on: bool) {
    DURABLE.store(on, Ordering::Relaxed);
}

/// A fresh, empty directory for one server's data.
pub fn fresh_data_dir(name: &str) -> Result<PathBuf, String> {
    imsdk_testkit::process::fresh_data_dir(&format!("bench-{name}"))
        .map_err(|e| format!("{name}: {e}"))
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
        match DURABLE.load(Ordering::Relaxed) {
            true => {
                let data = fresh_data_dir("data")?;
                ServerProc::start_ours(accounts, outbound_queue, Some(&data), true)
            }
            false => ServerProc::start_ours(accounts, outbound_queue, None, false),
        }
    }

    /// `imsdk-server` on the data directory `data` (None: in memory only), left in place.
    pub fn ours_on(
        accounts: usize,
        outbound_queue: usize,
        data: Option<&Path>,
    ) -> Result<ServerProc, String> {
        ServerProc::start_ours(accounts, outbound_queue, data, false)
    }

    fn start_ours(
        accounts: usize,
        outbound_queue: usize,
        data: Option<&Path>,
        remove_data: bool,
    ) -> Result<ServerProc, String> {
        let ids: Vec<String> = (0..accounts).map(user).collect();
        let data_dir = data.map_or(String::new(), |d| d.display().to_string());
        // 0: the server's default.
        let queue = match outbound_queue {
            0 => String::new(),
            n => format!("outbound_queue = {n}\n"),
        };
        let app = imsdk_testkit::dev::app_toml(&ids, false, "");
        let toml = format!("[server]\n{queue}data_dir = {data_dir:?}\n\n{app}");
        let mut cmd = ServerCommand::wrap(wrapped(sibling("imsdk-server")?)).config_toml(&toml);
        // The server logs each session at info: thousands of lines per run. RUST_LOG overrides.
        if std::env::var_os("RUST_LOG").is_none() {
            cmd = cmd.env("RUST_LOG", "warn");
        }
        if let (Some(data), true) = (data, remove_data) {
            cmd = cmd.remove_on_drop(data);
        }
        ServerProc::spawn(cmd)
    }

    /// The baseline broadcast server: this binary's hidden `baseline-server` subcommand.
    pub fn baseline() -> Result<ServerProc, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        ServerProc::spawn(ServerCommand::wrap(wrapped(exe)).arg("baseline-server"))
    }

    fn spawn(cmd: ServerCommand) -> Result<ServerProc, String> {
        let process = cmd
            .args(["--listen", "127.0.0.1:0"])
            .graceful_drop(Duration::from_secs(10))
            .try_spawn()?;
        Ok(ServerProc {
            addr: process.addr,
            process,
        })
    }

    pub fn usage(&self) -> Usage {
        usage_of(self.process.pid())
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
