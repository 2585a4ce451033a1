//! Cluster test helpers: a real `redis-server` on a free 127.0.0.1 port (from the test kit), and
//! nodes pointed at it.
#![allow(dead_code)]

use imsdk_testkit::process::ServerCommand;
pub use imsdk_testkit::process::ServerProcess;
pub use imsdk_testkit::redis::Redis;

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

/// Runs the binary with `--redis` and a config file holding `[server]` `extra` and the test app.
pub fn start_process(redis: &Redis, extra: &str) -> ServerProcess {
    let app = imsdk_testkit::dev::app_toml(&["alice", "bob"], true, "");
    ServerCommand::new(env!("CARGO_BIN_EXE_imsdk-server"))
        .config_toml(&format!("[server]\n{extra}\n{app}"))
        .args(["--listen", "127.0.0.1:0", "--redis", &redis.url()])
        .spawn()
}
