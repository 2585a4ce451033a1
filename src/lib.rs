//! `ImSDK`: Tencent Chat's user-status C API over `imsdk-server`.
//!
//! Layers: [`ffi`] (the C ABI: argument checks, panic boundary) → [`sdk`] (the process-wide
//! instance; calls only enqueue) → `worker` (one thread owning the WebSocket) and
//! [`dispatch`] (one callback thread, or the host's thread with manual dispatch).
#![allow(non_snake_case)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod config;
pub mod dispatch;
pub mod ffi;
mod instance;
mod listeners;
pub mod sdk;
pub mod types;
mod worker;

pub use ffi::compat::*;
pub use ffi::manager::*;
pub use ffi::status::*;
pub use types::*;
