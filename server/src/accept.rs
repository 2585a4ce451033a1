//! The listening socket's side of HTTP: every accepted TCP connection is counted, per source
//! address and in total, before anything is read from it; each one is served by hyper with a
//! header-read deadline (which also closes idle and half-sent connections), over TLS when
//! configured. A WebSocket upgrade keeps the connection's places for the session's lifetime.

use crate::guard::{AddressSlot, Guard};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::Service;

/// Longest TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection's places (its source address's and one of the total): released when the last
/// holder drops it — the HTTP connection, or the WebSocket session it was upgraded to.
pub struct ConnSlot {
    _address: AddressSlot,
    open: Arc<AtomicUsize>,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        CLOSED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Connections closed since the process started: [`start_trimming`] trims only after some did.
static CLOSED: AtomicUsize = AtomicUsize::new(0);

/// How many connections may be open, and how long a client has to send a request's head.
pub struct Limits {
    pub max_open: usize,
    pub header_read: Duration,
}

/// Accepts and serves until `stop` turns true, then stops accepting (the port closes) and lets
/// open HTTP connections finish their request (bounded by the caller).
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    guard: Arc<Guard>,
    limits: Limits,
    tune: impl Fn(&TcpStream) + Send + 'static,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(AtomicUsize::new(0));
    let limits = Arc::new(limits);
    let mut warned = false;
    loop {
        let stopping = async {
            let _ = stop.wait_for(|s| *s).await;
        };
        let (tcp, peer) = tokio::select! {
            () = stopping => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if open.load(Ordering::Acquire) >= limits.max_open {
            if !warned {
                warned = true;
                tracing::warn!(
                    "open connections at the cap ({}, max_open_connections): refusing new ones",
                    limits.max_open
                );
            }
            refuse(tcp, tls.is_none());
            continue;
        }
        let Some(address) = guard.admit(peer.ip()) else {
            refuse(tcp, tls.is_none());
            continue;
        };
        open.fetch_add(1, Ordering::AcqRel);
        let slot = Arc::new(ConnSlot {
            _address: address,
            open: Arc::clone(&open),
        });
        tune(&tcp);
        let (app, tls, limits, stop) =
            (app.clone(), tls.clone(), Arc::clone(&limits), stop.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.extensions_mut().insert(Arc::clone(&slot));
                app.clone().call(req)
            });
            match tls {
                None => connection(TokioIo::new(tcp), service, &limits, stop).await,
                Some(acceptor) => {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                    {
                        connection(TokioIo::new(tls), service, &limits, stop).await
                    }
                }
            }
        });
    }
}

/// Serves one connection until it closes, is upgraded, or the server stops (then the request in
/// progress finishes first).
async fn connection<I, S>(io: I, service: S, limits: &Limits, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming> + Send,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(conn);
    let stopping = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stopping => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Closes a connection over a cap; a plain one first hears why (a short 503, never blocking).
fn refuse(tcp: TcpStream, plain: bool) {
    if plain {
        tokio::spawn(async move {
            let mut tcp = tcp;
            let answer = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n";
            let _ = tokio::time::timeout(Duration::from_millis(200), tcp.write_all(answer)).await;
        });
    }
}

/// The cap on open connections when the config says 0: the file-descriptor limit, less room for
/// the listener, Redis, webhooks, the database and logs.
pub fn default_max_open() -> usize {
    const RESERVE: usize = 128;
    fd_limit().saturating_sub(RESERVE).max(16)
}

#[cfg(unix)]
fn fd_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives on this stack frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024
    }
}

#[cfg(not(unix))]
fn fd_limit() -> usize {
    // Windows sockets are not bounded by a descriptor table like Unix's.
    1 << 20
}

/// Gives memory freed by closed connections back to the system, at most every 5 s and only when
/// connections closed since the last time. glibc's allocator keeps freed memory in per-thread
/// arenas; after a burst of connections (an attack, a reconnect storm) the process would otherwise
/// stay at its high-water mark. `malloc_trim` holds each arena's lock while it walks it (several
/// ms on a large heap), so it runs on a blocking thread, never on a runtime worker, and not at all
/// while the same sessions stay connected (a steady load keeps its latency tail free of it).
/// Elsewhere than glibc: nothing.
pub fn start_trimming() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut trimmed_at = 0;
        loop {
            tick.tick().await;
            let closed = CLOSED.load(Ordering::Relaxed);
            if closed == trimmed_at {
                continue;
            }
            trimmed_at = closed;
            // SAFETY: malloc_trim only walks glibc's own heap; 0 keeps no extra padding.
            let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_cap_leaves_room() {
        let cap = super::default_max_open();
        assert!(cap >= 16 && cap < super::fd_limit().max(17));
    }
}
