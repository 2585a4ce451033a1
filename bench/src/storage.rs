//! The embedded store's durable data (docs/STORAGE.md): bulk import, a subscribe storm and a
//! restart on a full database, then the hot-path benchmarks in memory and on a data directory in
//! the same run (status changes never touch the disk, so they should match).

use crate::client::{self, Ws};
use crate::proc::{fresh_data_dir, user, ServerProc};
use crate::report::{Row, Verdict};
use crate::sessions;
use imsdk_protocol::ClientFrame;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

/// Imports, 100 ids per `multiaccount_import` call as Tencent allows, `at_once` calls in flight.
async fn import(server: SocketAddr, accounts: usize, at_once: usize) -> Result<Duration, String> {
    let sig = imsdk_usersig::generate(crate::proc::APP, crate::proc::KEY, "administrator", 86_400);
    let path = format!(
        "/v4/im_open_login_svc/multiaccount_import?sdkappid={}&identifier=administrator&usersig={sig}&random=1&contenttype=json",
        crate::proc::APP
    );
    let gate = Arc::new(Semaphore::new(at_once));
    let started = Instant::now();
    let calls: Vec<_> = (0..accounts)
        .step_by(100)
        .map(|first| {
            let ids: Vec<String> = (first..(first + 100).min(accounts)).map(user).collect();
            let body = serde_json::json!({ "Accounts": ids }).to_string();
            let (gate, path) = (Arc::clone(&gate), path.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
                post(server, &path, &body).await
            })
        })
        .collect();
    for call in calls {
        let answer = call.await.map_err(|e| e.to_string())??;
        if !answer.contains(r#""ErrorCode":0"#) {
            return Err(format!("import answered {answer}"));
        }
    }
    Ok(started.elapsed())
}

/// One HTTP/1.1 POST on a connection of its own; the answer's body.
async fn post(server: SocketAddr, path: &str, body: &str) -> Result<String, String> {
    let mut tcp = tokio::net::TcpStream::connect(server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    tcp.read_to_string(&mut answer)
        .await
        .map_err(|e| format!("read: {e}"))?;
    Ok(answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or(answer))
}

/// Every session subscribes to the next `each` users (one request each, all at once); time until
/// the last answer, all of them code 0.
async fn subscribe_all(sessions: Vec<Ws>, users: usize, each: usize) -> Result<Duration, String> {
    let started = Instant::now();
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            tokio::spawn(async move {
                let frame = ClientFrame::SubscribeUserStatus {
                    id: 10,
                    user_ids: (1..=each).map(|k| user((i + k) % users)).collect(),
                };
                client::request(&mut ws, &frame).await.map(|()| ws)
            })
        })
        .collect();
    let mut kept = Vec::new();
    for task in tasks {
        kept.push(task.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    drop(kept);
    Ok(elapsed)
}

/// Import, subscribe storm and restart on one data directory.
pub async fn durable(accounts: usize, users: usize, each: usize) -> Result<Vec<Row>, String> {
    let dir = fresh_data_dir("storage")?;
    let result = durable_in(&dir, accounts, users, each).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn durable_in(
    dir: &std::path::Path,
    accounts: usize,
    users: usize,
    each: usize,
) -> Result<Vec<Row>, String> {
    let server = ServerProc::ours_on(0, 64, Some(dir))?;
    let imported = import(server.addr, accounts, 16).await?;
    let logins = sessions::log_in(server.addr, users, 512).await;
    if let Some(e) = logins.first_error {
        return Err(format!("{} logins failed: {e}", logins.failed));
    }
    let subscribed = subscribe_all(logins.sessions, accounts, each).await?;
    drop(server);
    let started = Instant::now();
    let restarted = ServerProc::ours_on(0, 64, Some(dir))?;
    let listening = started.elapsed();
    let entries = users * each;
    let size = std::fs::metadata(dir.join("imsdk.db")).map_or(0, |m| m.len());
    drop(restarted);
    let full = accounts >= 100_000;
    let verdict = |met: bool| match full {
        true => Verdict::from(met),
        false => Verdict::Partial(met),
    };
    Ok(vec![
        Row {
            name: format!("durable import: {accounts} accounts, 100 per call, 16 calls at once"),
            measured: format!("{:.2} s", imported.as_secs_f64()),
            target: "≤ 5 s for 100,000".into(),
            verdict: verdict(imported.as_secs_f64() <= 5.0),
        },
        Row {
            name: format!(
                "durable subscribe storm: {users} users × {each} at once, all answered 0"
            ),
            measured: format!("{:.2} s", subscribed.as_secs_f64()),
            target: "≤ 3 s for 10,000 × 100".into(),
            verdict: verdict(subscribed.as_secs_f64() <= 3.0),
        },
        Row {
            name: format!(
                "restart on {accounts} accounts and {entries} subscription entries ({} MiB)",
                size / (1 << 20)
            ),
            measured: format!("listening after {:.2} s", listening.as_secs_f64()),
            target: "≤ 2 s for 100,000 and 1,000,000".into(),
            verdict: verdict(listening.as_secs_f64() <= 2.0),
        },
    ])
}
