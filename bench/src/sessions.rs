//! Many sessions logging in: idle sessions (server RSS per session) and the login storm.

use crate::client::{self, Ws};
use crate::proc::{user, ServerProc, APP, KEY};
use crate::report::{Row, Verdict};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Sessions that logged in, and how long all of them took.
pub struct Logins {
    pub sessions: Vec<Ws>,
    pub elapsed: Duration,
    pub failed: usize,
    pub first_error: Option<String>,
}

/// Logs u0..u{n-1} in with at most `at_once` handshakes in flight. UserSigs are made before the
/// clock starts; the server verifies each one.
pub async fn log_in(server: SocketAddr, n: usize, at_once: usize) -> Logins {
    let sigs: Vec<String> = (0..n)
        .map(|i| imsdk_usersig::generate(APP, KEY, &user(i), 86_400))
        .collect();
    let gate = Arc::new(Semaphore::new(at_once.max(1)));
    let start = Instant::now();
    let tasks: Vec<_> = sigs
        .into_iter()
        .enumerate()
        .map(|(i, sig)| {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
                let mut ws = client::connect(server, i).await?;
                client::login(&mut ws, i, &sig).await?;
                Ok::<Ws, String>(ws)
            })
        })
        .collect();
    let mut out = Logins {
        sessions: Vec::with_capacity(n),
        elapsed: Duration::ZERO,
        failed: 0,
        first_error: None,
    };
    for task in tasks {
        match task.await.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(ws) => out.sessions.push(ws),
            Err(e) => {
                out.failed += 1;
                out.first_error.get_or_insert(e);
            }
        }
    }
    out.elapsed = start.elapsed();
    out
}

fn check(logins: &Logins, n: usize) -> Result<(), String> {
    match &logins.first_error {
        None => Ok(()),
        Some(e) => Err(format!(
            "{} of {n} logins failed, first: {e}",
            logins.failed
        )),
    }
}

/// Item 3: `n` idle logged-in sessions; server RSS growth per session and time to log all in.
pub async fn idle(n: usize) -> Result<Vec<Row>, String> {
    let server = ServerProc::ours(n, 64)?;
    let before = server.usage();
    let logins = log_in(server.addr, n, 512).await;
    check(&logins, n)?;
    // Measured after a one-second hold, when the login replies and own-status pushes are written.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.usage();
    let per_session = after.rss_kib.saturating_sub(before.rss_kib) as f64 / n as f64;
    Ok(vec![
        Row {
            name: format!("idle sessions: server RSS per session ({n} sessions)"),
            measured: format!(
                "{per_session:.1} KiB ({} → {} KiB)",
                before.rss_kib, after.rss_kib
            ),
            target: "≤ 16 KiB at 100,000 sessions".into(),
            verdict: if n < 100_000 {
                Verdict::Partial(per_session <= 16.0)
            } else {
                Verdict::from(per_session <= 16.0)
            },
        },
        Row {
            name: format!("idle sessions: time to log {n} in (512 handshakes at a time)"),
            measured: format!("{:.2} s", logins.elapsed.as_secs_f64()),
            target: "—".into(),
            verdict: Verdict::Info,
        },
    ])
}

/// Item 6: `n` sessions connect and log in at once; time until the last is ONLINE.
pub async fn storm(n: usize) -> Result<Vec<Row>, String> {
    let server = ServerProc::ours(n, 64)?;
    let before = server.usage();
    let logins = log_in(server.addr, n, n).await;
    check(&logins, n)?;
    let after = server.usage();
    let secs = logins.elapsed.as_secs_f64();
    Ok(vec![Row {
        name: format!("login storm: {n} sessions at once, all ONLINE"),
        measured: format!(
            "{secs:.2} s (server CPU {:.2} s)",
            after.cpu_s - before.cpu_s
        ),
        target: "≤ 3 s for 10,000".into(),
        verdict: if n < 10_000 {
            Verdict::Partial(secs <= 3.0)
        } else {
            Verdict::from(secs <= 3.0)
        },
    }])
}
