//! A server as a child process: `imsdk-server` (or any server that prints a `listening on ADDR`
//! line), so that tests can stop, SIGKILL and SIGTERM it as in production. Temporary config files
//! and data directories go with it.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `target/<profile>/imsdk-server` next to the running test binary (`target/<profile>/deps/`),
/// built first if this test run did not build it. Tests of the server crate itself use
/// `env!("CARGO_BIN_EXE_imsdk-server")` instead.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("imsdk-server");
    if !bin.exists() {
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build.args(["build", "-p", "imsdk-server", "--bin", "imsdk-server"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo build runs");
        assert!(status.success(), "cargo build -p imsdk-server");
    }
    bin
}

/// A path in the temp directory unique to this process and call: `imsdk-{what}-{pid}-{n}`.
pub fn temp_path(what: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "imsdk-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A fresh, empty directory for one server's data (removed by whoever asked for it).
pub fn fresh_data_dir(name: &str) -> std::io::Result<PathBuf> {
    let dir = temp_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// How a server process is started: a [`Command`] plus what goes with it.
pub struct ServerCommand {
    cmd: Command,
    temp_files: Vec<PathBuf>,
    temp_dirs: Vec<PathBuf>,
    capture_stderr: bool,
    graceful: Option<Duration>,
}

impl ServerCommand {
    /// `program` with no arguments yet.
    pub fn new(program: impl AsRef<OsStr>) -> ServerCommand {
        ServerCommand::wrap(Command::new(program))
    }

    /// An already prepared command (e.g. the server under a profiler).
    pub fn wrap(cmd: Command) -> ServerCommand {
        ServerCommand {
            cmd,
            temp_files: Vec::new(),
            temp_dirs: Vec::new(),
            capture_stderr: false,
            graceful: None,
        }
    }

    /// Writes `toml` to a temporary file (removed with the process) and passes `--config FILE`.
    pub fn config_toml(mut self, toml: &str) -> ServerCommand {
        let path = temp_path("config").with_extension("toml");
        std::fs::write(&path, toml).expect("write config");
        self.cmd.arg("--config").arg(&path);
        self.temp_files.push(path);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> ServerCommand {
        self.cmd.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> ServerCommand {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> ServerCommand {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> ServerCommand {
        self.cmd.env_remove(key);
        self
    }

    /// `IMSDK_DATA_DIR` set to a fresh directory removed with the process (an `IMSDK_DATA_DIR` set
    /// later with [`ServerCommand::env`] wins).
    pub fn fresh_data_dir(mut self) -> ServerCommand {
        let dir = temp_path("data");
        self.cmd.env("IMSDK_DATA_DIR", &dir);
        self.temp_dirs.push(dir);
        self
    }

    /// `dir` is removed with the process.
    pub fn remove_on_drop(mut self, dir: &Path) -> ServerCommand {
        self.temp_dirs.push(dir.to_owned());
        self
    }

    /// Collects stderr (the logs) for [`ServerProcess::logs`] instead of passing it through.
    pub fn capture_stderr(mut self) -> ServerCommand {
        self.capture_stderr = true;
        self
    }

    /// On drop, SIGTERM first and SIGKILL only after `grace` (a profiler wrapping the server writes
    /// its output on a graceful exit). Without it, drop SIGKILLs.
    pub fn graceful_drop(mut self, grace: Duration) -> ServerCommand {
        self.graceful = Some(grace);
        self
    }

    /// Starts it and reads stdout up to the `listening on ADDR` line (stdout is drained after).
    pub fn spawn(self) -> ServerProcess {
        self.try_spawn().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`ServerCommand::spawn`], with an error instead of a panic.
    pub fn try_spawn(mut self) -> Result<ServerProcess, String> {
        let stderr = match self.capture_stderr {
            true => Stdio::piped(),
            false => Stdio::inherit(),
        };
        let spawned = self
            .cmd
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("spawn {:?}: {e}", self.cmd));
        let mut process = ServerProcess {
            child: None,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            stderr: Arc::new(Mutex::new(String::new())),
            stderr_reader: None,
            temp_files: std::mem::take(&mut self.temp_files),
            temp_dirs: std::mem::take(&mut self.temp_dirs),
            graceful: self.graceful,
        };
        let mut child = spawned?;
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&process.stderr);
            process.stderr_reader = Some(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }));
        }
        let stdout = child.stdout.take().ok_or("no stdout")?;
        process.child = Some(child);
        let mut lines = BufReader::new(stdout).lines();
        let addr = lines.by_ref().map_while(Result::ok).find_map(|l| {
            l.split_once("listening on ")
                .and_then(|(_, a)| a.trim().parse().ok())
        });
        let Some(addr) = addr else {
            return Err(format!(
                "{:?} printed no \"listening on\" line; stderr: {}",
                self.cmd,
                process.logs()
            ));
        };
        process.addr = addr;
        // Keep stdout drained so the child never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Ok(process)
    }
}

/// The server, running; stopped (see [`ServerCommand::graceful_drop`]) and its temporary files
/// removed when dropped.
pub struct ServerProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
    temp_files: Vec<PathBuf>,
    temp_dirs: Vec<PathBuf>,
    graceful: Option<Duration>,
}

impl ServerProcess {
    fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("a started process")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("a started process").id()
    }

    /// Sends a signal by name (`STOP`, `CONT`, `TERM`, `KILL`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGKILL, and wait until the process is gone (its sockets are closed then).
    pub fn kill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the process to exit within `limit` (panics if it does not).
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child().try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server exits in time");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends SIGTERM and waits for the exit (at most `bound`): exit code and how long it took.
    /// Bounded: a process that outlives `bound` is SIGKILLed, then the assert fails.
    pub fn terminate(&mut self, bound: Duration) -> (Option<i32>, Duration) {
        let started = Instant::now();
        self.signal("TERM");
        let pid = self.pid().to_string();
        let (exited_tx, exited_rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if exited_rx.recv_timeout(bound).is_err() {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
            }
        });
        let status = self.child().wait().expect("wait");
        let took = started.elapsed();
        let _ = exited_tx.send(());
        assert!(took < bound, "no exit within {bound:?}");
        (status.code(), took)
    }

    /// Everything the process wrote to stderr (with [`ServerCommand::capture_stderr`]); complete
    /// once it exited.
    pub fn logs(&mut self) -> String {
        if matches!(
            self.child.as_mut().map(Child::try_wait),
            Some(Ok(Some(_))) | None
        ) {
            if let Some(reader) = self.stderr_reader.take() {
                let _ = reader.join();
            }
        }
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let (Some(grace), Some(child)) = (self.graceful, self.child.as_mut()) {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + grace;
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        self.kill();
        for file in &self.temp_files {
            let _ = std::fs::remove_file(file);
        }
        for dir in &self.temp_dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
