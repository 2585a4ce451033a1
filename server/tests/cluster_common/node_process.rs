//! An `imsdk-server` process (cluster tests and `examples/cluster_fanout.rs`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The binary, running; SIGKILLed on drop.
pub struct NodeProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl NodeProcess {
    /// Writes `config` (TOML) to a temporary file and runs `bin --config FILE --listen
    /// 127.0.0.1:0 ARGS`, returning once it printed its listening line.
    pub fn spawn(bin: &Path, config: &str, args: &[&str]) -> NodeProcess {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("imsdk-node-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, config).expect("config file");
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(&path)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("imsdk-server binary (examples: build it with --release first)");
        // Earlier lines (the data directory) come first.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("imsdk-server listening on ")
                    .and_then(|a| a.parse().ok())
            })
            .expect("listening line");
        NodeProcess { child, addr }
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
