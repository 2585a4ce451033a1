//! Test support for the library (`imsdk`), the server (`imsdk-server`), their benches and examples,
//! and the load generator: written once here, used everywhere.
//!
//! - [`dev`]: the dev app (id, key, admin), UserSigs, login frames and config TOML for it.
//! - [`process`]: the `imsdk-server` binary (or any server printing a "listening on" line) as a child
//!   process, with a temporary config file and data directory.
//! - [`inproc`] (feature `server`): the server in this process, on `127.0.0.1:0`.
//! - [`redis`]: a throwaway `redis-server` for cluster tests; [`scripted`]: a fake server for one
//!   connection that answers the login, then does what the test says.
//! - [`ws`]: an async raw protocol client; [`peer`]: blocking ones (another device next to the
//!   library under test).
//! - [`http`]: HTTP requests to the REST API and the console.
//! - [`sdk`] (feature `sdk`): the recorder of the library's `extern "C"` callbacks and helpers that
//!   call the exports exactly as C would.
// Test support: the callbacks are handed to the library under test (their contract is the C
// API's), and the call helpers pass test-made pointers straight to the exports.
#![allow(clippy::missing_safety_doc, clippy::not_unsafe_ptr_arg_deref)]

pub mod dev;
pub mod http;
#[cfg(feature = "server")]
pub mod inproc;
pub mod peer;
pub mod process;
pub mod redis;
pub mod scripted;
#[cfg(feature = "sdk")]
pub mod sdk;
pub mod ws;

pub use dev::{sig, ADMIN, APP, KEY};
