//! Cluster mode: several nodes share presence through Redis (`--redis`, `docs/CLUSTER.md`).
//!
//! Redis holds every account's sessions, custom status, subscriptions, friends and rate windows;
//! each change runs as one Lua script that also publishes the new status, once, with its recipient
//! list. Every node delivers the published changes to its own sessions only (its [`Hub`]).
//! A node holds a lease; the sessions of a node whose lease expired are declared OFFLINE by a
//! surviving node (see `node.rs`).

mod calls;
mod health;
mod inspect;
mod node;
mod scripts;
mod settings;

use crate::config::{Config, LoginPolicy, ServerSettings};
use crate::store::live::{LiveConfig, Monitor};
use crate::store::{rules, App, Frame, Hub, OpenError, SessionEnd, StatusError, StatusPush, Store};
use imsdk_protocol::{code, encode, ServerFrame, UserStatus};
use redis::aio::ConnectionManager;
use scripts::Scripts;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest wait for one Redis call before it fails with [`code::STORE_UNAVAILABLE`].
const CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// Every app of the server on the shared Redis store (`[server] redis`), connected and registered
/// before this returns. Must run inside a tokio runtime (cluster tasks).
pub async fn open(config: &Config) -> Result<Store, OpenError> {
    let mut apps = HashMap::new();
    for cfg in &config.apps {
        let (live, monitor, hub) = crate::store::parts(cfg.clone());
        let store = ClusterApp::connect(&live, &monitor, &hub, &config.server)
            .await
            .map_err(OpenError::Redis)?;
        apps.insert(cfg.sdk_app_id, Arc::new(App::new(live, monitor, store)));
    }
    Ok(Store::of_apps(apps))
}

/// One app on this node, backed by the shared Redis store.
pub struct ClusterApp {
    /// This node's settings, changeable at runtime (read per call).
    cfg: Arc<LiveConfig>,
    /// Every published change, as this node hears it (the console's live view).
    monitor: Arc<Monitor>,
    /// This node's sessions, by account: the only ones it delivers to.
    hub: Arc<Hub>,
    /// `<redis_prefix><sdk_app_id>:`, first argument of every script.
    prefix: String,
    /// Fresh per process start, so a restarted node never owns its predecessor's sessions.
    node: String,
    conn: ConnectionManager,
    client: redis::Client,
    scripts: Scripts,
    /// Lease lifetime; the node renews it and sweeps dead nodes every `tick`.
    lease: Duration,
    tick: Duration,
    /// Set when Redis may have missed a change of this node (failed call, lost connection): the
    /// next tick re-registers the node's live sessions.
    need_sync: AtomicBool,
    /// Set once the node leaves: the lease is no longer renewed.
    leaving: AtomicBool,
    /// Logins (local registry, then script) hold it shared, a sync exclusively: a sync never sees
    /// a session half registered.
    registry: tokio::sync::RwLock<()>,
}

/// One published change (see `lua/lib.lua`, `publish`).
#[derive(Deserialize)]
struct Event {
    u: String,
    s: Option<UserStatus>,
    to: Vec<String>,
    end: Vec<(String, String)>,
}

fn unavailable<E>(_: E) -> StatusError {
    StatusError::new(code::STORE_UNAVAILABLE)
}

/// A node id unique per process start: time, pid and a counter (several nodes in one test process).
fn fresh_node_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}-{:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn flag(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

impl ClusterApp {
    /// Connects, imports the configured accounts, registers the node and subscribes to the app's
    /// channel, then starts the lease/sweep and listener tasks. Must run inside a tokio runtime.
    pub async fn connect(
        cfg: &Arc<LiveConfig>,
        monitor: &Arc<Monitor>,
        hub: &Arc<Hub>,
        settings: &ServerSettings,
    ) -> Result<Arc<Self>, String> {
        let url = settings.redis.as_deref().unwrap_or_default();
        let err = |e: redis::RedisError| format!("redis {url}: {e}");
        let client = redis::Client::open(url).map_err(err)?;
        let manager = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_millis(500))
            .set_response_timeout(Duration::from_millis(1000))
            .set_number_of_retries(1)
            .set_max_delay(500);
        let conn = tokio::time::timeout(
            CALL_TIMEOUT * 2,
            ConnectionManager::new_with_config(client.clone(), manager),
        )
        .await
        .map_err(|_| format!("redis {url}: no answer"))?
        .map_err(err)?;
        let timeout = Duration::from_millis(settings.node_timeout_ms);
        let app = Arc::new(ClusterApp {
            prefix: format!("{}{}:", settings.redis_prefix, cfg.get().sdk_app_id),
            cfg: Arc::clone(cfg),
            monitor: Arc::clone(monitor),
            hub: Arc::clone(hub),
            node: fresh_node_id(),
            conn,
            client,
            scripts: Scripts::new(),
            lease: timeout * 2 / 3,
            tick: timeout / 6,
            need_sync: AtomicBool::new(false),
            leaving: AtomicBool::new(false),
            registry: tokio::sync::RwLock::new(()),
        });
        app.sync()
            .await
            .map_err(|_| format!("redis {url}: cannot register the node"))?;
        let pubsub = tokio::time::timeout(CALL_TIMEOUT, node::subscribe(&app))
            .await
            .map_err(|_| format!("redis {url}: no answer to SUBSCRIBE"))?
            .map_err(err)?;
        tokio::spawn(node::listen(Arc::clone(&app), pubsub));
        tokio::spawn(node::run(Arc::clone(&app)));
        Ok(app)
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn gsid(&self, sid: u64) -> String {
        format!("{}/{sid}", self.node)
    }

    fn one_per_platform(&self) -> &'static str {
        flag(self.cfg.get().login_policy == LoginPolicy::OnePerPlatform)
    }

    fn friends(&self) -> &'static str {
        flag(self.cfg.get().friend_status_notify)
    }

    fn retention_ms(&self) -> u64 {
        self.cfg
            .get()
            .limits
            .subscription_retention_s
            .saturating_mul(1000)
    }

    /// Runs a script with the key prefix as first argument, then `args`.
    async fn eval<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        args: &[&str],
    ) -> Result<T, StatusError> {
        let mut inv = script.arg(&self.prefix);
        for a in args {
            inv.arg(*a);
        }
        let mut conn = self.conn.clone();
        tokio::time::timeout(CALL_TIMEOUT, inv.invoke_async(&mut conn))
            .await
            .map_err(unavailable)?
            .map_err(unavailable)
    }

    /// Runs a plain command.
    async fn cmd<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StatusError> {
        let mut conn = self.conn.clone();
        tokio::time::timeout(CALL_TIMEOUT, cmd.query_async(&mut conn))
            .await
            .map_err(unavailable)?
            .map_err(unavailable)
    }

    /// Imports accounts (idempotent); the ids must be valid.
    async fn import_all(&self, ids: &[String]) -> Result<(), StatusError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.cmd(redis::cmd("SADD").arg(self.key("accounts")).arg(ids))
            .await
    }

    /// Delivers one published change to this node's sessions (only the account's own when the
    /// app does not notify others: plan or switch off), and ends the ones it displaced.
    fn dispatch(&self, payload: &[u8]) {
        let Ok(mut event) = serde_json::from_slice::<Event>(payload) else {
            return;
        };
        if let Some(status) = event.s {
            if !rules::notifies_others(&self.cfg.get()) {
                event.to.retain(|u| *u == event.u);
            }
            let frame = StatusPush::new(&status);
            let mut frames = 0;
            for user in &event.to {
                frames += self.hub.deliver(user, &frame);
            }
            self.monitor.changed(None, &status, frames);
        }
        for (gsid, reason) in &event.end {
            if let Some(sid) = self.own_sid(gsid) {
                self.end_local(&event.u, sid, reason);
            }
        }
    }

    /// The local number of a session id of this node.
    fn own_sid(&self, gsid: &str) -> Option<u64> {
        let (node, sid) = gsid.split_once('/')?;
        (node == self.node).then(|| sid.parse().ok()).flatten()
    }

    /// Ends a local session displaced by another login (`"kick"`: 6208, else replaced).
    fn end_local(&self, user: &str, sid: u64, reason: &str) {
        let reason = if reason == "kick" {
            SessionEnd::Kicked
        } else {
            SessionEnd::Replaced
        };
        self.hub.end(user, sid, reason);
    }

    /// Re-imports the configured accounts, renews the lease and makes Redis hold exactly this
    /// node's live sessions.
    async fn sync(&self) -> Result<(), StatusError> {
        let _exclusive = self.registry.write().await;
        self.load_shared_settings().await?;
        self.import_all(&self.cfg.get().accounts).await?;
        let mut args: Vec<String> = vec![
            self.node.clone(),
            self.lease.as_millis().to_string(),
            self.friends().to_owned(),
            self.retention_ms().to_string(),
            self.one_per_platform().to_owned(),
        ];
        self.hub.for_each(|user, s| {
            args.extend([
                user.to_owned(),
                self.gsid(s.link.sid),
                s.platform.clone(),
                s.instance_id.clone(),
            ]);
        });
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let refused: Vec<String> = self.eval(&self.scripts.sync, &args).await?;
        for item in refused.chunks_exact(3) {
            if let Some(sid) = self.own_sid(&item[1]) {
                self.end_local(&item[0], sid, &item[2]);
            }
        }
        Ok(())
    }

    /// After the pub/sub connection was lost (changes published meanwhile never reached this node),
    /// pushes to every local session the current status of its own account and of every account it
    /// hears, in one frame per account. Clients may get statuses they already had.
    async fn catch_up(&self) -> Result<(), StatusError> {
        let users = self.hub.users();
        for chunk in users.chunks(100) {
            let mut args = vec![self.friends()];
            args.extend(chunk.iter().map(String::as_str));
            let lists: Vec<Vec<String>> = self.eval(&self.scripts.followed, &args).await?;
            for (user, list) in chunk.iter().zip(lists) {
                let statuses: Vec<UserStatus> = list
                    .iter()
                    .filter_map(|s| serde_json::from_str(s).ok())
                    .collect();
                let frame = Frame::from(encode(&ServerFrame::StatusChanged { statuses }));
                self.hub.deliver_frame(user, &frame);
            }
        }
        Ok(())
    }

    /// Graceful stop: drops the lease and declares this node's sessions OFFLINE now.
    async fn leave_now(&self) {
        self.leaving.store(true, Ordering::Relaxed);
        let retention = self.retention_ms().to_string();
        let args = [self.friends(), &retention, &self.node];
        let _ = self.eval::<i64>(&self.scripts.sweep, &args).await;
    }
}
