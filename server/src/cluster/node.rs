//! The node's background work: lease renewal, re-registration after Redis trouble, the sweep of
//! dead nodes, and the listener that delivers published changes.

use super::ClusterApp;
use crate::store::StatusError;
use backon::BackoffBuilder;
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Subscribes to the app's change channel on a connection of its own.
pub(super) async fn subscribe(app: &ClusterApp) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = app.client.get_async_pubsub().await?;
    pubsub.subscribe(app.key("events")).await?;
    pubsub.subscribe(app.key("settings")).await?;
    Ok(pubsub)
}

/// Delivers published changes; after a lost connection, resubscribes (with backoff), asks for a
/// re-registration of the node's sessions and catches its sessions up on what they missed.
pub(super) async fn listen(app: Arc<ClusterApp>, mut pubsub: redis::aio::PubSub) {
    loop {
        {
            let mut messages = pubsub.on_message();
            let settings = app.key("settings");
            while let Some(msg) = messages.next().await {
                if msg.get_channel_name() == settings {
                    app.apply_shared_settings(msg.get_payload_bytes());
                } else {
                    app.dispatch(msg.get_payload_bytes());
                }
            }
        }
        app.need_sync.store(true, Ordering::Relaxed);
        // 50 ms, 100 ms, ... at most 1 s between attempts, for as long as it takes.
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(1))
            .without_max_times()
            .build();
        pubsub = loop {
            tokio::time::sleep(delays.next().unwrap_or(Duration::from_secs(1))).await;
            let attempt = tokio::time::timeout(super::CALL_TIMEOUT, subscribe(&app)).await;
            if let Ok(Ok(p)) = attempt {
                break p;
            }
        };
        if app.sync().await.is_err() || app.catch_up().await.is_err() {
            app.need_sync.store(true, Ordering::Relaxed);
        }
    }
}

/// Every tick: renew the lease (or re-register everything when Redis may have missed something),
/// then, once connected for a whole lease (so every live node had time to re-register after an
/// outage), try to take the sweep lock and reap the sessions of nodes whose lease expired.
pub(super) async fn run(app: Arc<ClusterApp>) {
    let mut connected_since = Some(Instant::now());
    let mut ticks = tokio::time::interval(app.tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if app.leaving.load(Ordering::Relaxed) {
            return;
        }
        if renew(&app).await.is_err() {
            app.need_sync.store(true, Ordering::Relaxed);
            connected_since = None;
            continue;
        }
        let since = *connected_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= app.lease {
            let _ = sweep(&app).await;
        }
    }
}

/// Extends the lease; a lease that expired meanwhile (or a pending sync) means a full re-registration.
async fn renew(app: &ClusterApp) -> Result<(), StatusError> {
    if !app.need_sync.swap(false, Ordering::Relaxed) {
        let renewed: Option<String> = app
            .cmd(
                redis::cmd("SET")
                    .arg(app.key(&format!("node:{}", app.node)))
                    .arg(1)
                    .arg("PX")
                    .arg(app.lease.as_millis() as u64)
                    .arg("XX"),
            )
            .await?;
        if renewed.is_some() {
            return Ok(());
        }
    }
    app.sync().await.inspect_err(|_| {
        app.need_sync.store(true, Ordering::Relaxed);
    })
}

/// One sweep by whichever node holds the lock for this tick.
async fn sweep(app: &ClusterApp) -> Result<(), StatusError> {
    let locked: Option<String> = app
        .cmd(
            redis::cmd("SET")
                .arg(app.key("sweep"))
                .arg(&app.node)
                .arg("PX")
                .arg(app.tick.as_millis().saturating_sub(10).max(1) as u64)
                .arg("NX"),
        )
        .await?;
    if locked.is_none() {
        return Ok(());
    }
    let retention = app.retention_ms().to_string();
    let args = [app.friends(), retention.as_str(), ""];
    app.eval::<i64>(&app.scripts.sweep, &args).await.map(drop)
}
