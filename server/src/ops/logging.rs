//! Logs through `tracing`: levels from `RUST_LOG` (default `info`), human-readable or one JSON
//! object per line. Per-session lines (login, end) are `debug`: a login storm of 100k sessions must
//! not become 100k synchronous writes at the default level. Sessions log inside a `session` span (sid, app, user, platform, peer); no
//! UserSig, secret key or callback token is ever a field or a message.

use tracing_subscriber::EnvFilter;

/// Installs the process-wide subscriber (stderr). A second call does nothing.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}
