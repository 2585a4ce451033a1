//! `imsdk-server`: the user-status backend of the ImSDK native library.
//!
//! JSON frames over WebSocket at `/ws` (see `docs/PROTOCOL.md`) and Tencent's admin REST API on the
//! same port. Start it in-process with [`ServerHandle::start`] or run the `imsdk-server` binary.

mod accept;
pub mod build_info;
pub mod cluster;
pub mod config;
pub mod config_env;
pub mod config_report;
mod conn;
pub mod console;
mod guard;
mod listener;
pub mod ops;
pub mod rest;
mod session;
mod state;
pub mod store;
mod transport;

use config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How the server is asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Run,
    /// Close frames 1001 to every session, then stop.
    Graceful,
    /// Drop every connection without a close frame.
    Kill,
}

/// A running server on its own tokio runtime thread. Dropping it shuts it down gracefully.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<Stop>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Opens the store, binds `listen` (port 0 picks a free port), then serves on a background
    /// thread.
    pub fn start(config: Config, listen: SocketAddr) -> std::io::Result<ServerHandle> {
        config
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let tls = match (&config.server.tls_cert, &config.server.tls_key) {
            (Some(cert), Some(key)) => Some(
                ops::tls::acceptor(cert.as_ref(), key.as_ref())
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
            ),
            _ => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("imsdk-server")
            .build()?;
        // Before the port opens: a data directory that cannot be used is an error
        // (`InvalidData`), an unreachable Redis another (`ConnectionRefused`). On a thread of its
        // own: the caller may itself be inside a tokio runtime.
        let store = std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(open_store(&config)))
                .join()
                .unwrap_or_else(|_| Err(store::OpenError::Redis("store setup panicked".into())))
        })
        .map_err(|e| {
            let kind = match e {
                store::OpenError::Data(_) => std::io::ErrorKind::InvalidData,
                store::OpenError::Redis(_) => std::io::ErrorKind::ConnectionRefused,
            };
            std::io::Error::new(kind, e.to_string())
        })?;
        let listener = listener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let metrics_listener = match config.server.metrics_listen {
            Some(at) => {
                let l = listener::bind(at)?;
                l.set_nonblocking(true)?;
                Some(l)
            }
            None => None,
        };
        let (stop_tx, stop_rx) = watch::channel(Stop::Run);
        let (listener, metrics_listener) = {
            let _guard = runtime.enter();
            let metrics = match metrics_listener {
                Some(l) => Some(tokio::net::TcpListener::from_std(l)?),
                None => None,
            };
            (tokio::net::TcpListener::from_std(listener)?, metrics)
        };
        let thread = std::thread::Builder::new()
            .name("imsdk-server-main".into())
            .spawn(move || {
                let killed = runtime.block_on(serve(
                    config,
                    store,
                    listener,
                    metrics_listener,
                    tls,
                    stop_rx,
                ));
                // Dropping the runtime drops every task, and with them every socket and the listener.
                if killed {
                    runtime.shutdown_timeout(Duration::from_secs(1));
                } else {
                    runtime.shutdown_timeout(Duration::from_secs(5));
                }
            })?;
        Ok(ServerHandle {
            addr,
            stop: stop_tx,
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Graceful stop: every session gets close 1001; returns when the server is down.
    pub fn shutdown(mut self) {
        self.stop_with(Stop::Graceful);
    }

    /// Abrupt stop, as SIGKILL would look to clients: connections dropped without close frames.
    /// Returns when the port is free again.
    pub fn kill(mut self) {
        self.stop_with(Stop::Kill);
    }

    fn stop_with(&mut self, how: Stop) {
        let _ = self.stop.send(how);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_with(Stop::Graceful);
    }
}

/// The embedded store (durable in `[server] data_dir` when set), or with `[server] redis` set,
/// every app on the shared Redis store. Must run inside a tokio runtime.
async fn open_store(config: &Config) -> Result<store::Store, store::OpenError> {
    match config.server.redis {
        None => store::Store::open_embedded(config),
        Some(_) => cluster::open(config).await,
    }
}

/// Serves until stopped; returns true if killed.
async fn serve(
    config: Config,
    store: store::Store,
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<Stop>,
) -> bool {
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(state::ServerState::new(&config, store, shutdown_rx));
    let app = transport::router(Arc::clone(&shared));
    let send_buffer = config.server.socket_send_buffer_bytes;
    let tune = move |tcp: &tokio::net::TcpStream| {
        // Pushes are small and latency matters more than batching.
        let _ = tcp.set_nodelay(true);
        if send_buffer > 0 {
            let _ = socket2::SockRef::from(tcp).set_send_buffer_size(send_buffer);
        }
    };
    let limits = accept::Limits {
        max_open: match config.server.max_open_connections {
            0 => accept::default_max_open(),
            n => n,
        },
        header_read: Duration::from_secs(config.server.header_read_timeout_s),
    };
    accept::start_trimming();
    // The port closes as soon as any stop begins.
    let (http_stop, http_stopped) = watch::channel(false);
    if let Some(metrics_listener) = metrics_listener {
        let ops = ops::metrics_routes(Arc::clone(&shared.ops));
        let mut stopped = http_stopped.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            axum::serve(metrics_listener, ops)
                .with_graceful_shutdown(stop)
                .await
        });
    }
    let server = tokio::spawn(accept::serve(
        listener,
        tls,
        app,
        Arc::clone(&shared.guard),
        limits,
        tune,
        http_stopped,
    ));
    let how = match stop.wait_for(|s| *s != Stop::Run).await {
        Ok(s) => *s,
        Err(_) => Stop::Graceful,
    };
    let _ = http_stop.send(true);
    if how == Stop::Kill {
        return true;
    }
    shared.ops.stop_accepting();
    tracing::info!("graceful shutdown: closing sessions with 1001");
    let _ = shutdown_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), shared.sessions_done()).await;
    shared.store.leave().await;
    let flush = Duration::from_millis(config.server.webhook_flush_ms);
    if !shared.ops.webhooks.flush(flush).await {
        tracing::warn!("shutdown: webhook events still pending after {flush:?}, dropped");
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    false
}
