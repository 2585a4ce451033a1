//! The library's test harness, from the test kit: the C-callback recorder and SDK helpers
//! ([`imsdk_testkit::sdk`]), raw peers, and real `imsdk-server`s in this process. The library is one
//! per process: tests of a file hold [`serial`] for their whole run.
#![allow(dead_code, unused_imports)]

pub use imsdk_testkit::inproc::start as start_server;
pub use imsdk_testkit::peer::Peer;
pub use imsdk_testkit::sdk::*;
pub use imsdk_testkit::{sig, APP, KEY};

use imsdk_server::config::{Config, LoginPolicy};

/// The dev app with `accounts` imported, several devices per user allowed.
pub fn server_config(accounts: &[&str]) -> Config {
    let mut c = imsdk_testkit::inproc::dev_config(accounts);
    c.apps[0].login_policy = LoginPolicy::Multi;
    c
}
