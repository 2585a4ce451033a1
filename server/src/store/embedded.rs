//! The embedded store (one node, the default): presence in memory, sharded per account (a
//! `DashMap` of accounts, one lock per account), and durable data in SQLite ([`Db`]) when a data
//! directory is set. A change of durable data is written first and applied in memory once it is on
//! disk, so a failed write changes nothing; status changes never touch the disk.

use super::account::{Account, AccountState, LastEnd, OpenSession};
use super::durable::{Db, Loaded, Op};
use super::fanout::StatusPush;
use super::hub::{Hub, HubSession};
use super::live::{LiveConfig, Monitor};
use super::SessionEnd;
use super::StatusError;
use super::{rules, unix_now_ms, AppStore, Login, Presence, RateOp};
use crate::config::{LoginPolicy, Settings};
use async_trait::async_trait;
use dashmap::DashMap;
use imsdk_protocol::code;
use imsdk_protocol::{UserStatus, UserStatusType};
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

pub struct Embedded {
    app_id: u64,
    cfg: Arc<LiveConfig>,
    monitor: Arc<Monitor>,
    hub: Arc<Hub>,
    /// None: nothing is written (in-process servers without a data directory).
    db: Option<Arc<Db>>,
    accounts: DashMap<String, Arc<Account>>,
    /// The imported ids in order, for the console's account list (updated on import only).
    sorted_ids: RwLock<BTreeSet<String>>,
    /// Friendship changes one at a time, so disk and memory see them in the same order.
    friend_ops: tokio::sync::Mutex<()>,
    /// For the retention timers this store spawns.
    me: Weak<Embedded>,
}

impl Embedded {
    /// The store of one app, with the config's accounts and everything `loaded` from the database
    /// (the retention clock of each stored subscription list runs on from where it was).
    pub fn open(
        cfg: &Arc<LiveConfig>,
        monitor: &Arc<Monitor>,
        hub: &Arc<Hub>,
        db: Option<Arc<Db>>,
        loaded: Loaded,
    ) -> Arc<Embedded> {
        let app = Arc::new_cyclic(|me| Embedded {
            app_id: cfg.get().sdk_app_id,
            cfg: Arc::clone(cfg),
            monitor: Arc::clone(monitor),
            hub: Arc::clone(hub),
            db,
            accounts: DashMap::new(),
            sorted_ids: RwLock::new(BTreeSet::new()),
            friend_ops: tokio::sync::Mutex::new(()),
            me: me.clone(),
        });
        // Checked by Config::validate; an invalid one is simply not imported.
        let configured = cfg.get().accounts.clone();
        app.add_accounts(configured.iter().chain(&loaded.accounts));
        for (owner, friend) in &loaded.friends {
            if let (Some(o), Some(f)) = (app.account(owner), app.account(friend)) {
                o.state().friends.insert(f.id.clone());
                f.state().friend_of.insert(o.id.clone());
            }
        }
        let now = unix_now_ms();
        for (user, list) in loaded.subscriptions {
            let Some(acc) = app.account(&user) else {
                continue;
            };
            for target in &list {
                if let Some(t) = app.account(target) {
                    t.state().subscribers.insert(user.clone());
                }
            }
            acc.state().subscriptions = list;
            // Nobody is online after a start: the clock runs from when the account went offline,
            // or from now if it was online when the server stopped.
            let since = loaded.offline_since.get(&user).copied().unwrap_or(now);
            app.start_retention(&user, 0, since);
        }
        app
    }

    /// The account, cloned out of the map so no map lock is held afterwards.
    fn account(&self, id: &str) -> Option<Arc<Account>> {
        self.accounts.get(id).map(|a| Arc::clone(a.value()))
    }

    /// Adds accounts to memory (those already there are left alone).
    fn add_accounts<'a>(&self, ids: impl Iterator<Item = &'a String>) {
        let mut added = Vec::new();
        for id in ids {
            if imsdk_protocol::valid_user_id(id) && !self.accounts.contains_key(id.as_str()) {
                self.accounts
                    .entry(id.clone())
                    .or_insert_with(|| Arc::new(Account::new(id.clone())));
                added.push(id.clone());
            }
        }
        if !added.is_empty() {
            let mut sorted = self
                .sorted_ids
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            sorted.extend(added);
        }
    }

    /// Writes `ops` (nothing without a database); STORE_UNAVAILABLE when they could not be.
    async fn persist(&self, ops: Vec<Op>) -> Result<(), StatusError> {
        let Some(db) = &self.db else {
            return Ok(());
        };
        db.write(ops).await.map_err(|e| {
            tracing::error!("app {}: store write failed: {e}", self.app_id);
            StatusError::new(code::STORE_UNAVAILABLE)
        })
    }

    /// Queues a write of the account's retention clock (soft state: nobody waits for it).
    fn persist_offline_since(&self, user: &str, at_ms: Option<u64>) {
        if let Some(db) = &self.db {
            db.write_soon(vec![Op::OfflineSince {
                app: self.app_id,
                user: user.to_owned(),
                at_ms,
            }]);
        }
    }

    /// Drops the account's subscription list `retention` after `since_ms`, if it is still offline
    /// since generation `gen` by then.
    fn start_retention(&self, user: &str, gen: u64, since_ms: u64) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(me) = self.me.upgrade() else {
            return;
        };
        let retention_ms = self
            .cfg
            .get()
            .limits
            .subscription_retention_s
            .saturating_mul(1000);
        let wait = since_ms
            .saturating_add(retention_ms)
            .saturating_sub(unix_now_ms());
        let user = user.to_owned();
        rt.spawn(async move {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            me.expire_subscriptions(&user, gen).await;
        });
    }

    /// Drops the subscription list of an account still offline since generation `gen`.
    async fn expire_subscriptions(&self, user_id: &str, gen: u64) {
        let Some(acc) = self.account(user_id) else {
            return;
        };
        let _serial = acc.subscription_change().await;
        let still_offline = |st: &AccountState| st.sessions.is_empty() && st.offline_gen == gen;
        if !still_offline(&acc.state()) {
            return;
        }
        let op = Op::Subscriptions {
            app: self.app_id,
            user: user_id.to_owned(),
            targets: Vec::new(),
        };
        if self.persist(vec![op]).await.is_err() {
            return; // Kept, on disk and here; dropped at the next start's retention check.
        }
        let dropped = {
            let mut st = acc.state();
            // A login while the list was being deleted keeps nothing: it is gone on disk.
            std::mem::take(&mut st.subscriptions)
        };
        self.unlink_subscribers(user_id, &dropped);
    }

    /// Splits ids into imported accounts (None: not imported).
    fn resolve(&self, ids: &[&str]) -> Vec<Option<Arc<Account>>> {
        ids.iter().map(|id| self.account(id)).collect()
    }

    /// Removes `subscriber` from the subscriber sets of `targets`.
    fn unlink_subscribers(&self, subscriber: &str, targets: &[String]) {
        for id in targets {
            if let Some(target) = self.account(id) {
                target.state().subscribers.remove(subscriber);
            }
        }
    }

    /// Runs `change` under the account's lock and, if its status changed, notifies the account's
    /// sessions and, when the app notifies others, its subscribers and (friend switch on) the
    /// users who list it as a friend.
    fn mutate<R>(&self, acc: &Account, change: impl FnOnce(&mut AccountState) -> R) -> R {
        let mut st = acc.state();
        let before = st.status(&acc.id);
        let result = change(&mut st);
        let after = st.status(&acc.id);
        if before != after {
            let frames = self.notify(acc, &st, after.clone());
            self.monitor.changed(Some(&before), &after, frames);
        }
        result
    }

    /// Returns the number of frames queued.
    fn notify(&self, acc: &Account, st: &AccountState, status: UserStatus) -> u64 {
        let frame = StatusPush::new(&status);
        let mut frames = self.hub.deliver(&acc.id, &frame);
        let cfg = self.cfg.get();
        if !rules::notifies_others(&cfg) {
            return frames;
        }
        let friends = cfg.friend_status_notify.then_some(&st.friend_of);
        // Subscribers are a set already: only their union with friends needs de-duplicating, so
        // most changes build no HashSet (it was a fifth of the work per recipient).
        let dedupe = friends.is_some_and(|f| !f.is_empty());
        let mut done: HashSet<&str> = match dedupe {
            true => HashSet::with_capacity(st.subscribers.len() + st.friend_of.len()),
            false => HashSet::new(),
        };
        for id in st.subscribers.iter().chain(friends.into_iter().flatten()) {
            if id != &acc.id && (!dedupe || done.insert(id)) {
                frames += self.hub.deliver(id, &frame);
            }
        }
        frames
    }
}

#[async_trait]
impl AppStore for Embedded {
    async fn import(&self, ids: &[String]) -> Result<(), StatusError> {
        let new: Vec<&String> = ids
            .iter()
            .filter(|id| !self.accounts.contains_key(id.as_str()))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let ops = new
            .iter()
            .map(|id| Op::Account {
                app: self.app_id,
                id: (*id).clone(),
            })
            .collect();
        self.persist(ops).await?;
        self.add_accounts(new.into_iter());
        Ok(())
    }

    async fn login(&self, login: Login) -> Result<(), StatusError> {
        let acc = self
            .account(&login.user_id)
            .ok_or(StatusError::new(code::ACCOUNT_NOT_FOUND))?;
        let one_per_platform = self.cfg.get().login_policy == LoginPolicy::OnePerPlatform;
        let stop_clock = self.mutate(&acc, |st| {
            let displaced: Vec<(u64, SessionEnd)> = st
                .sessions
                .iter()
                .filter_map(|s| {
                    if s.instance_id == login.instance_id {
                        Some((s.sid, SessionEnd::Replaced))
                    } else if one_per_platform && s.platform == login.platform {
                        Some((s.sid, SessionEnd::Kicked))
                    } else {
                        None
                    }
                })
                .collect();
            // The retention clock matters only for an account with a list (see `subscribe`).
            let clock_runs = st.sessions.is_empty() && !st.subscriptions.is_empty();
            st.sessions
                .retain(|s| !displaced.iter().any(|(sid, _)| *sid == s.sid));
            st.sessions.push(OpenSession {
                sid: login.link.sid,
                platform: login.platform.clone(),
                instance_id: login.instance_id.clone(),
            });
            for (sid, reason) in displaced {
                self.hub.end(&acc.id, sid, reason);
            }
            self.hub.add(
                &acc.id,
                HubSession {
                    link: login.link,
                    platform: login.platform,
                    instance_id: login.instance_id,
                },
            );
            clock_runs
        });
        if stop_clock {
            self.persist_offline_since(&acc.id, None);
        }
        Ok(())
    }

    async fn end_session(&self, user_id: &str, sid: u64, logged_out: bool) {
        let Some(acc) = self.account(user_id) else {
            return;
        };
        let offline_gen = self.mutate(&acc, |st| {
            let before = st.sessions.len();
            st.sessions.retain(|s| s.sid != sid);
            if st.sessions.len() == before {
                return None;
            }
            self.hub.remove(user_id, sid);
            if !st.sessions.is_empty() {
                return None;
            }
            st.last_end = if logged_out {
                LastEnd::LoggedOut
            } else {
                LastEnd::Disconnected
            };
            st.custom_status.clear();
            st.offline_gen += 1;
            // No list, nothing to drop: no clock (a list is only made while online).
            (!st.subscriptions.is_empty()).then_some(st.offline_gen)
        });
        if let Some(gen) = offline_gen {
            let now = unix_now_ms();
            self.persist_offline_since(user_id, Some(now));
            self.start_retention(user_id, gen, now);
        }
    }

    async fn set_custom_status(&self, user_id: &str, text: &str) -> Result<(), StatusError> {
        let acc = self
            .account(user_id)
            .ok_or(StatusError::new(code::ACCOUNT_NOT_FOUND))?;
        self.mutate(&acc, |st| st.custom_status = text.to_owned());
        Ok(())
    }

    async fn presence(&self, ids: &[&str]) -> Result<Vec<Option<Presence>>, StatusError> {
        Ok(ids
            .iter()
            .map(|id| {
                let acc = self.account(id)?;
                let st = acc.state();
                Some((
                    st.status(&acc.id),
                    st.sessions.iter().map(|s| s.platform.clone()).collect(),
                ))
            })
            .collect())
    }

    async fn count_call(&self, caller: &str, op: RateOp) -> Result<bool, StatusError> {
        let acc = self
            .account(caller)
            .ok_or(StatusError::new(code::ACCOUNT_NOT_FOUND))?;
        let cfg = self.cfg.get();
        let limits = &cfg.limits;
        let mut st = acc.state();
        let window = match op {
            RateOp::Get => &mut st.rates.get,
            RateOp::Subscribe => &mut st.rates.subscribe,
            RateOp::Unsubscribe => &mut st.rates.unsubscribe,
        };
        Ok(window.allow(Instant::now(), limits.rate_calls, limits.rate_window()))
    }

    async fn subscribe(&self, caller: &str, ids: &[&str]) -> Result<Vec<bool>, StatusError> {
        let found = self.resolve(ids);
        let flags = found.iter().map(Option::is_some).collect();
        let targets: Vec<&Arc<Account>> = found.iter().flatten().collect();
        if targets.is_empty() {
            return Ok(flags);
        }
        let acc = self
            .account(caller)
            .ok_or(StatusError::new(code::ACCOUNT_NOT_FOUND))?;
        let _serial = acc.subscription_change().await;
        let (list, evicted) = {
            let mut list = acc.state().subscriptions.clone();
            for target in &targets {
                list.retain(|s| *s != target.id);
                list.push(target.id.clone());
            }
            let over = list
                .len()
                .saturating_sub(self.cfg.get().limits.subscription_max);
            let evicted: Vec<String> = list.drain(..over).collect();
            (list, evicted)
        };
        let kept: Vec<&&Arc<Account>> = targets
            .iter()
            .filter(|t| !evicted.contains(&t.id))
            .collect();
        // The whole list in one row, and (the caller is online) no retention clock running for
        // it: an old one, from a list already dropped, must not apply to this one after a restart.
        let ops = vec![
            Op::Subscriptions {
                app: self.app_id,
                user: caller.to_owned(),
                targets: list.clone(),
            },
            Op::OfflineSince {
                app: self.app_id,
                user: caller.to_owned(),
                at_ms: None,
            },
        ];
        self.persist(ops).await?;
        acc.state().subscriptions = list;
        for target in kept {
            target.state().subscribers.insert(caller.to_owned());
        }
        self.unlink_subscribers(caller, &evicted);
        Ok(flags)
    }

    async fn unsubscribe(&self, caller: &str, ids: Option<&[String]>) -> Result<(), StatusError> {
        let acc = self
            .account(caller)
            .ok_or(StatusError::new(code::ACCOUNT_NOT_FOUND))?;
        let _serial = acc.subscription_change().await;
        let removed: Vec<String> = {
            let st = acc.state();
            match ids {
                Some(ids) => st
                    .subscriptions
                    .iter()
                    .filter(|s| ids.contains(s))
                    .cloned()
                    .collect(),
                None => st.subscriptions.clone(),
            }
        };
        if removed.is_empty() {
            return Ok(());
        }
        let kept: Vec<String> = acc
            .state()
            .subscriptions
            .iter()
            .filter(|s| !removed.contains(s))
            .cloned()
            .collect();
        let op = Op::Subscriptions {
            app: self.app_id,
            user: caller.to_owned(),
            targets: kept,
        };
        self.persist(vec![op]).await?;
        acc.state().subscriptions.retain(|s| !removed.contains(s));
        self.unlink_subscribers(caller, &removed);
        Ok(())
    }

    async fn change_friendship(
        &self,
        from: &str,
        to: &str,
        both: bool,
        add: bool,
    ) -> Result<(), StatusError> {
        let (Some(a), Some(b)) = (self.account(from), self.account(to)) else {
            return Err(StatusError::new(code::ACCOUNT_NOT_FOUND));
        };
        let pairs: &[(&Account, &Account)] = if both {
            &[(&a, &b), (&b, &a)]
        } else {
            &[(&a, &b)]
        };
        let _serial = self.friend_ops.lock().await;
        let ops = pairs
            .iter()
            .map(|(owner, friend)| Op::Friend {
                app: self.app_id,
                owner: owner.id.clone(),
                friend: friend.id.clone(),
                add,
            })
            .collect();
        self.persist(ops).await?;
        for (owner, friend) in pairs {
            let set = |s: &mut HashSet<String>, id: &str| {
                if add {
                    s.insert(id.to_owned())
                } else {
                    s.remove(id)
                }
            };
            set(&mut owner.state().friends, &friend.id);
            set(&mut friend.state().friend_of, &owner.id);
        }
        Ok(())
    }

    async fn account_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<(usize, Vec<String>), StatusError> {
        // One pass over the sorted index, copying only the page.
        let ids = self
            .sorted_ids
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let skip = page.saturating_mul(size);
        let mut total = 0;
        let mut out = Vec::new();
        for id in ids.iter().filter(|id| id.contains(filter)) {
            if total >= skip && out.len() < size {
                out.push(id.clone());
            }
            total += 1;
        }
        Ok((total, out))
    }

    async fn lists(&self, id: &str) -> Result<(Vec<String>, Vec<String>), StatusError> {
        let Some(acc) = self.account(id) else {
            return Ok(Default::default());
        };
        let st = acc.state();
        let mut friends: Vec<String> = st.friends.iter().cloned().collect();
        friends.sort_unstable();
        Ok((friends, st.subscriptions.clone()))
    }

    fn online_ids(&self, max: usize) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|e| e.value().status().user_status_status_type == UserStatusType::Online)
            .take(max)
            .map(|e| e.key().clone())
            .collect()
    }

    async fn save_settings(&self) -> Result<(), StatusError> {
        let json = serde_json::to_string(&Settings::of(&self.cfg.get()))
            .map_err(|_| StatusError::new(code::INVALID_PARAMETERS))?;
        self.persist(vec![Op::Settings {
            app: self.app_id,
            json,
        }])
        .await
    }

    async fn leave(&self) {}

    async fn reachable(&self) -> bool {
        true
    }
}
