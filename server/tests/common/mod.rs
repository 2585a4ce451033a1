//! Test helpers, from the test kit: a real server on 127.0.0.1:0, real WebSocket clients and a
//! real HTTP client; the server tests' config.
#![allow(dead_code, unused_imports)]

pub use imsdk_testkit::http::{http, rest, rest_raw, sign_in};
pub use imsdk_testkit::inproc::start;
pub use imsdk_testkit::ws::*;
pub use imsdk_testkit::{sig, ADMIN, APP, KEY};

use imsdk_server::config::{AppConfig, Config};

/// The dev app with accounts `alice`, `bob`, `carol`, `dave` imported, changed by `edit`.
pub fn config(edit: impl FnOnce(&mut AppConfig)) -> Config {
    let mut config = imsdk_testkit::inproc::dev_config(&["alice", "bob", "carol", "dave"]);
    edit(&mut config.apps[0]);
    config
}

/// Changes of the `[server]` settings.
pub trait ServerEdit {
    fn with_login_timeout(self, s: u64) -> Self;
    fn with_max_frame(self, bytes: usize) -> Self;
    fn with_queue(self, frames: usize) -> Self;
    fn with_send_buffer(self, bytes: usize) -> Self;
    fn with_slow_consumer_timeout(self, ms: u64) -> Self;
}

impl ServerEdit for Config {
    fn with_login_timeout(mut self, s: u64) -> Self {
        self.server.login_timeout_s = s;
        self
    }
    fn with_max_frame(mut self, bytes: usize) -> Self {
        self.server.max_frame_bytes = bytes;
        self
    }
    fn with_queue(mut self, frames: usize) -> Self {
        self.server.outbound_queue = frames;
        self
    }
    fn with_send_buffer(mut self, bytes: usize) -> Self {
        self.server.socket_send_buffer_bytes = bytes;
        self
    }
    fn with_slow_consumer_timeout(mut self, ms: u64) -> Self {
        self.server.slow_consumer_timeout_ms = ms;
        self
    }
}
