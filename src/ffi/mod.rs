//! The C ABI. Every export runs inside [`boundary`]; pointers and JSON from the caller go
//! through [`args`]. The core below never sees a raw pointer.
#![deny(clippy::unwrap_used, clippy::expect_used)]
// The safety contract of every export is the C one, stated in the header: pointers are NULL or
// point to NUL-terminated strings (or 128 writable bytes for TIMGetLoginUserID).
#![allow(clippy::missing_safety_doc)]

pub mod args;
pub mod compat;
pub mod manager;
pub mod status;
/// The C-visible types (defined at the bottom of the library, [`crate::types`]).
pub use crate::types;

use std::ffi::c_int;
use types::TIMResult;

/// The one panic boundary: runs `f`, turning a panic into `on_panic` so that no unwind ever
/// crosses into C (in Unity that would take the Editor down).
pub fn boundary<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// [`boundary`] for the exports that return a `TIMResult` as `int`.
pub fn export(f: impl FnOnce() -> Result<(), TIMResult>) -> c_int {
    boundary(TIMResult::TIM_ERR_PARAM as c_int, || match f() {
        Ok(()) => TIMResult::TIM_SUCC as c_int,
        Err(e) => e as c_int,
    })
}
