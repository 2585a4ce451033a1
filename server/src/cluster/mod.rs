//! Cluster mode: several nodes share presence through Redis (`--redis`, `docs/CLUSTER.md`).
//!
//! Redis holds every account's sessions, custom status, subscriptions, friends and rate windows;
//! each change runs as one Lua script that also publishes the new status, once, with its recipient
//! list. Every node delivers the published changes to its own sessions only ([`ClusterApp::local`]).
//! A node holds a lease; the sessions of a node whose lease expired are declared OFFLINE by a
//! surviving node (see `node.rs`).

mod node;
mod scripts;

use crate::config::{AppConfig, LoginPolicy, ServerSettings};
use crate::store::{rules, valid_user_id, EndReason, Frame, Login, SessionLink};
use dashmap::DashMap;
use imsdk_protocol::{code, encode, ServerFrame, UserStatus};
use redis::aio::ConnectionManager;
use scripts::Scripts;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest wait for one Redis call before it fails with [`code::STORE_UNAVAILABLE`].
const CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// One app on this node, backed by the shared Redis store.
pub struct ClusterApp {
    pub cfg: AppConfig,
    /// `<redis_prefix><sdk_app_id>:`, first argument of every script.
    prefix: String,
    /// Fresh per process start, so a restarted node never owns its predecessor's sessions.
    node: String,
    conn: ConnectionManager,
    client: redis::Client,
    scripts: Scripts,
    /// This node's sessions, by account: the only ones it delivers to.
    local: DashMap<String, Vec<LocalSession>>,
    /// Lease lifetime; the node renews it and sweeps dead nodes every `tick`.
    lease: Duration,
    tick: Duration,
    /// Set when Redis may have missed a change of this node (failed call, lost connection): the
    /// next tick re-registers the node's live sessions.
    need_sync: AtomicBool,
    /// Set once the node leaves: the lease is no longer renewed.
    leaving: AtomicBool,
}

struct LocalSession {
    link: SessionLink,
    platform: String,
    instance_id: String,
}

/// One published change (see `lua/lib.lua`, `publish`).
#[derive(Deserialize)]
struct Event {
    u: String,
    s: Option<UserStatus>,
    to: Vec<String>,
    end: Vec<(String, String)>,
}

fn unavailable<E>(_: E) -> i32 {
    code::STORE_UNAVAILABLE
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
    pub async fn connect(cfg: AppConfig, settings: &ServerSettings) -> Result<Arc<Self>, String> {
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
            prefix: format!("{}{}:", settings.redis_prefix, cfg.sdk_app_id),
            cfg,
            node: fresh_node_id(),
            conn,
            client,
            scripts: Scripts::new(),
            local: DashMap::new(),
            lease: timeout * 2 / 3,
            tick: timeout / 6,
            need_sync: AtomicBool::new(false),
            leaving: AtomicBool::new(false),
        });
        app.sync()
            .await
            .map_err(|_| format!("redis {url}: cannot register the node"))?;
        let pubsub = node::subscribe(&app).await.map_err(err)?;
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
        flag(self.cfg.login_policy == LoginPolicy::OnePerPlatform)
    }

    fn friends(&self) -> &'static str {
        flag(self.cfg.friend_status_notify)
    }

    fn retention_ms(&self) -> u64 {
        self.cfg
            .limits
            .subscription_retention_s
            .saturating_mul(1000)
    }

    /// Runs a script with the key prefix as first argument, then `args`.
    async fn eval<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        args: &[&str],
    ) -> Result<T, i32> {
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
    async fn cmd<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, i32> {
        let mut conn = self.conn.clone();
        tokio::time::timeout(CALL_TIMEOUT, cmd.query_async(&mut conn))
            .await
            .map_err(unavailable)?
            .map_err(unavailable)
    }

    /// Imports accounts (idempotent); the ids must be valid.
    async fn import_all(&self, ids: &[String]) -> Result<(), i32> {
        if ids.is_empty() {
            return Ok(());
        }
        self.cmd(redis::cmd("SADD").arg(self.key("accounts")).arg(ids))
            .await
    }

    /// Imports an account. 7003 if the identifier is invalid.
    pub async fn import(&self, id: &str) -> Result<(), i32> {
        if !valid_user_id(id) {
            return Err(code::INVALID_IDENTIFIER);
        }
        self.import_all(&[id.to_owned()]).await
    }

    /// Adds a session: other nodes end the sessions it displaces (same instance, or same platform
    /// under `one_per_platform`) when the published change reaches them.
    pub async fn login(&self, login: Login) -> Result<(), i32> {
        let (user, sid) = (login.user_id.clone(), login.link.sid);
        let gsid = self.gsid(sid);
        let args = [
            user.as_str(),
            &gsid,
            &login.platform,
            &login.instance_id,
            self.one_per_platform(),
            self.friends(),
        ];
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        // Registered locally first: the change published by the script reaches the new session too.
        self.local
            .entry(user.clone())
            .or_default()
            .push(LocalSession {
                link: login.link,
                platform: login.platform,
                instance_id: login.instance_id,
            });
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result: Result<i64, i32> = self.eval(&self.scripts.login, &args).await;
        match result {
            Ok(0) => Ok(()),
            other => {
                self.remove_local(&user, sid);
                if other.is_err() {
                    self.need_sync.store(true, Ordering::Relaxed);
                }
                Err(other.map_or_else(|e| e, |_| code::ACCOUNT_NOT_FOUND))
            }
        }
    }

    fn remove_local(&self, user: &str, sid: u64) -> Option<LocalSession> {
        let mut entry = self.local.get_mut(user)?;
        let pos = entry.iter().position(|s| s.link.sid == sid)?;
        let gone = entry.remove(pos);
        let empty = entry.is_empty();
        drop(entry);
        if empty {
            self.local.remove_if(user, |_, v| v.is_empty());
        }
        Some(gone)
    }

    /// Removes a session (no-op if it was already replaced or kicked).
    pub async fn end_session(&self, user_id: &str, sid: u64, logged_out: bool) {
        if self.remove_local(user_id, sid).is_none() {
            return;
        }
        let how = if logged_out { "out" } else { "disc" };
        let retention = self.retention_ms().to_string();
        let gsid = self.gsid(sid);
        let args = [user_id, &gsid, how, self.friends(), &retention];
        if self.eval::<i64>(&self.scripts.end, &args).await.is_err() {
            // Redis will hear of it at the next successful sync.
            self.need_sync.store(true, Ordering::Relaxed);
        }
    }

    pub async fn set_custom_status(&self, user_id: &str, text: Option<&str>) -> Result<(), i32> {
        let text = rules::check_custom(&self.cfg, text)?;
        let args = [user_id, text, self.friends()];
        match self.eval::<i64>(&self.scripts.custom, &args).await? {
            0 => Ok(()),
            _ => Err(code::ACCOUNT_NOT_FOUND),
        }
    }

    /// Status and session platforms of each id (None: not imported).
    async fn lookup(&self, ids: &[&str]) -> Result<Vec<Option<(UserStatus, Vec<String>)>>, i32> {
        let raw: Vec<Option<Vec<String>>> = self.eval(&self.scripts.statuses, ids).await?;
        Ok(raw
            .into_iter()
            .map(|item| {
                let mut item = item?.into_iter();
                let status = serde_json::from_str(&item.next()?).ok()?;
                Some((status, item.collect()))
            })
            .collect())
    }

    /// Status and the platform of each online session, for the REST online query.
    pub async fn presence(&self, id: &str) -> Result<Option<(UserStatus, Vec<String>)>, i32> {
        Ok(self.lookup(&[id]).await?.pop().flatten())
    }

    /// Deduplicates `ids` and splits off the invalid ones (7003).
    fn split_ids(ids: &[String]) -> (Vec<&str>, Vec<(usize, i32)>) {
        let mut valid: Vec<&str> = Vec::new();
        let mut failed = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                continue;
            }
            if valid_user_id(id) {
                valid.push(id);
            } else {
                failed.push((i, code::INVALID_IDENTIFIER));
            }
        }
        (valid, failed)
    }

    /// The code of the first failed id (in request order), when no id could be used.
    fn first_failure(failed: &[(usize, i32)]) -> i32 {
        failed
            .iter()
            .min_by_key(|f| f.0)
            .map_or(code::INVALID_PARAMETERS, |f| f.1)
    }

    pub async fn get_user_status(
        &self,
        caller: &str,
        ids: &[String],
    ) -> Result<Vec<UserStatus>, i32> {
        if rules::check_get(&self.cfg, caller, ids)? {
            self.check_rate(caller, "get").await?;
        }
        let (valid, mut failed) = Self::split_ids(ids);
        let found = self.lookup(&valid).await?;
        let mut out = Vec::new();
        for (id, item) in valid.iter().zip(found) {
            match item {
                Some((status, _)) => out.push(status),
                None => failed.push((position(ids, id), code::ACCOUNT_NOT_FOUND)),
            }
        }
        if out.is_empty() {
            return Err(Self::first_failure(&failed));
        }
        Ok(out)
    }

    pub async fn subscribe(&self, caller: &str, ids: &[String]) -> Result<(), i32> {
        rules::check_subscribe(&self.cfg, caller, ids)?;
        self.check_rate(caller, "sub").await?;
        let (valid, mut failed) = Self::split_ids(ids);
        let cap = self.cfg.limits.subscription_max.to_string();
        let mut args = vec![caller, cap.as_str()];
        args.extend(&valid);
        let done: Vec<i64> = if valid.is_empty() {
            Vec::new()
        } else {
            self.eval(&self.scripts.subscribe, &args).await?
        };
        for (id, ok) in valid.iter().zip(&done) {
            if *ok == 0 {
                failed.push((position(ids, id), code::ACCOUNT_NOT_FOUND));
            }
        }
        if done.iter().all(|ok| *ok == 0) {
            return Err(Self::first_failure(&failed));
        }
        Ok(())
    }

    pub async fn unsubscribe(&self, caller: &str, ids: Option<&[String]>) -> Result<(), i32> {
        rules::check_unsubscribe(&self.cfg, ids)?;
        self.check_rate(caller, "unsub").await?;
        let mut args = vec![caller];
        args.extend(ids.unwrap_or_default().iter().map(String::as_str));
        self.eval::<i64>(&self.scripts.unsubscribe, &args).await?;
        Ok(())
    }

    /// Adds or removes `to` in `from`'s friend list (and the reverse when `both`). Result code.
    pub async fn change_friendship(&self, from: &str, to: &str, both: bool, add: bool) -> i32 {
        if from == to {
            return code::INVALID_PARAMETERS;
        }
        let args = [from, to, flag(both), flag(add)];
        match self.eval::<i64>(&self.scripts.friend, &args).await {
            Ok(0) => code::SUCC,
            Ok(_) => code::ACCOUNT_NOT_FOUND,
            Err(e) => e,
        }
    }

    /// Counts a call of the caller in its window for `op`, in Redis (7008 when full).
    async fn check_rate(&self, caller: &str, op: &str) -> Result<(), i32> {
        let limits = &self.cfg.limits;
        let key = format!("rate:{caller}:{op}");
        let window = limits.rate_window_s.saturating_mul(1000).to_string();
        let calls = limits.rate_calls.to_string();
        let args = [key.as_str(), &window, &calls];
        match self.eval::<i64>(&self.scripts.rate, &args).await? {
            1 => Ok(()),
            _ => Err(code::API_CALL_FREQUENCY_LIMIT),
        }
    }

    /// Delivers one published change to this node's sessions, and ends the ones it displaced.
    fn dispatch(&self, payload: &[u8]) {
        let Ok(event) = serde_json::from_slice::<Event>(payload) else {
            return;
        };
        if let Some(status) = event.s {
            let frame = Frame::from(encode(&ServerFrame::StatusChanged {
                statuses: vec![status],
            }));
            for user in &event.to {
                if let Some(sessions) = self.local.get(user) {
                    for s in sessions.iter() {
                        s.link.deliver(&frame);
                    }
                }
            }
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
            EndReason::Kicked
        } else {
            EndReason::Replaced
        };
        if let Some(gone) = self.remove_local(user, sid) {
            gone.link.ctl.end(reason);
        }
    }

    /// Re-imports the configured accounts, renews the lease and makes Redis hold exactly this
    /// node's live sessions.
    async fn sync(&self) -> Result<(), i32> {
        self.import_all(&self.cfg.accounts).await?;
        let mut args: Vec<String> = vec![
            self.node.clone(),
            self.lease.as_millis().to_string(),
            self.friends().to_owned(),
            self.retention_ms().to_string(),
            self.one_per_platform().to_owned(),
        ];
        for entry in self.local.iter() {
            for s in entry.value() {
                args.extend([
                    entry.key().clone(),
                    self.gsid(s.link.sid),
                    s.platform.clone(),
                    s.instance_id.clone(),
                ]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let refused: Vec<String> = self.eval(&self.scripts.sync, &args).await?;
        for item in refused.chunks_exact(3) {
            if let Some(sid) = self.own_sid(&item[1]) {
                self.end_local(&item[0], sid, &item[2]);
            }
        }
        Ok(())
    }

    /// Graceful stop: drops the lease and declares this node's sessions OFFLINE now.
    pub async fn leave(&self) {
        self.leaving.store(true, Ordering::Relaxed);
        let retention = self.retention_ms().to_string();
        let args = [self.friends(), &retention, &self.node];
        let _ = self.eval::<i64>(&self.scripts.sweep, &args).await;
    }
}

fn position(ids: &[String], id: &str) -> usize {
    ids.iter().position(|x| x == id).unwrap_or(usize::MAX)
}
