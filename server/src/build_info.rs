//! What this binary is: version, git commit, build date, features (set by `build.rs`). Shown by
//! `imsdk-server --version` and exported as the `imsdk_build_info` metric.

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Short commit hash, `unknown` when built outside git without `IMSDK_GIT_COMMIT`.
pub const COMMIT: &str = env!("IMSDK_GIT_COMMIT");
/// UTC, RFC 3339: when the current commit was first built here (or `SOURCE_DATE_EPOCH`).
pub const BUILD_DATE: &str = env!("IMSDK_BUILD_DATE");
/// Enabled cargo features, comma-separated, or `none`.
pub const FEATURES: &str = env!("IMSDK_FEATURES");
/// The `--version` text. "built in" lists what is always compiled in, so an operator knows what the
/// binary can do without reading the source.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit:   ",
    env!("IMSDK_GIT_COMMIT"),
    "\nbuilt:    ",
    env!("IMSDK_BUILD_DATE"),
    "\nfeatures: ",
    env!("IMSDK_FEATURES"),
    "\nbuilt in: tls (rustls), cluster (redis), sqlite store, web console",
);
