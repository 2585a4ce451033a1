//! The server in this process on `127.0.0.1:0` (stopped when its handle drops).

use imsdk_server::config::Config;
use imsdk_server::ServerHandle;

/// The dev app (`Config::dev_default()`) with `accounts` imported.
pub fn dev_config(accounts: &[&str]) -> Config {
    let mut config = Config::dev_default();
    config.apps[0].accounts = accounts.iter().map(|s| s.to_string()).collect();
    config
}

/// Starts the server with `config` on a free loopback port.
pub fn start(config: Config) -> ServerHandle {
    ServerHandle::start(config, "127.0.0.1:0".parse().expect("addr")).expect("server starts")
}
