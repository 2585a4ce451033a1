//! Cluster test helpers: a real `redis-server` on a free 127.0.0.1 port, and nodes pointed at it.
#![allow(dead_code)]

mod node_process;
mod redis;

pub use node_process::NodeProcess;
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

/// Runs the binary with `--redis` and a config file holding `[server]` `extra` and the test app.
pub fn start_process(redis: &Redis, extra: &str) -> NodeProcess {
    let app = format!(
        "[[app]]\nsdk_app_id = {}\nsecret_key = \"{}\"\nadmin = \"{}\"\nplan = \"ultimate\"\n\
         user_status_enabled = true\nfriend_status_notify = true\naccounts = [\"alice\", \"bob\"]\n",
        common::APP,
        common::KEY,
        common::ADMIN
    );
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_imsdk-server"));
    NodeProcess::spawn(
        bin,
        &format!("[server]\n{extra}\n{app}"),
        &["--redis", &redis.url()],
    )
}
