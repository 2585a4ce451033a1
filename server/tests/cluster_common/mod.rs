//! Cluster test helpers: a real `redis-server` on a free 127.0.0.1 port, and nodes pointed at it.
#![allow(dead_code)]

mod redis;

pub use redis::Redis;

use crate::common;
use imsdk_server::config::{AppConfig, Config};
use imsdk_server::ServerHandle;
use std::sync::atomic::{AtomicU32, Ordering};

/// The test config on `redis` with a key prefix unique to this test, changed by `edit`.
pub fn node_config(
    redis: &Redis,
    node_timeout_ms: u64,
    edit: impl FnOnce(&mut AppConfig),
) -> Config {
    static N: AtomicU32 = AtomicU32::new(0);
    let mut config = common::config(edit);
    config.server.redis = Some(redis.url());
    config.server.redis_prefix = format!(
        "t{}-{}:",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    config.server.node_timeout_ms = node_timeout_ms;
    config
}

/// Another node of the same cluster (same Redis, same prefix).
pub fn start_node(config: &Config) -> ServerHandle {
    common::start(config.clone())
}

/// An `imsdk-server` process (the binary), SIGKILLed on drop.
pub struct NodeProcess {
    child: std::process::Child,
    pub addr: std::net::SocketAddr,
}

impl NodeProcess {
    /// Runs the binary with `--redis` and a config file holding `[server]` `extra` and the test app.
    pub fn start(redis: &Redis, extra: &str) -> NodeProcess {
        use std::io::{BufRead, BufReader};
        let path = std::env::temp_dir().join(format!(
            "cluster-node-{}-{}.toml",
            std::process::id(),
            redis.port
        ));
        let app = format!(
            "[[app]]\nsdk_app_id = {}\nsecret_key = \"{}\"\nadmin = \"{}\"\nplan = \"ultimate\"\n\
             user_status_enabled = true\nfriend_status_notify = true\naccounts = [\"alice\", \"bob\"]\n",
            common::APP,
            common::KEY,
            common::ADMIN
        );
        std::fs::write(&path, format!("[server]\n{extra}\n{app}")).expect("config file");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_imsdk-server"))
            .arg("--config")
            .arg(&path)
            .args(["--listen", "127.0.0.1:0", "--redis", &redis.url()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("imsdk-server binary");
        let line = child
            .stdout
            .take()
            .and_then(|out| BufReader::new(out).lines().next()?.ok())
            .unwrap_or_default();
        let addr = line
            .strip_prefix("imsdk-server listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("listening line, got {line:?}"));
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
