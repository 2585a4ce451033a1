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

#[cfg(test)]
mod tests {
    use crate::dev::{ADMIN, APP, KEY};

    #[test]
    fn the_kits_dev_app_is_the_servers() {
        let config = super::dev_config(&["alice"]);
        let app = &config.apps[0];
        assert_eq!(
            (app.sdk_app_id, app.secret_key.as_str(), app.admin.as_str()),
            (APP, KEY, ADMIN)
        );
    }
}
