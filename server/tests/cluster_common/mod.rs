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
