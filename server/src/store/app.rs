//! One app's accounts and the user-status rules that change them. Every operation returns a Tencent
//! error code on failure; status changes are encoded once and queued to every recipient.

use super::account::{Account, AccountState, LastEnd, Rates, SessionInfo};
use super::fanout::{EndReason, Frame, SessionLink};
use super::live::{LiveConfig, Monitor};
use super::rate::RateWindow;
use super::{rules, valid_user_id};
use crate::config::{AppConfig, LoginPolicy};
use dashmap::DashMap;
use imsdk_protocol::code;
use imsdk_protocol::{encode, ServerFrame, UserStatus};
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub struct App {
    /// The settings, changeable at runtime (read per call).
    pub cfg: LiveConfig,
    pub monitor: Monitor,
    pub(super) accounts: DashMap<String, Arc<Account>>,
    /// The imported ids in order, for the console's account list (updated on import only).
    pub(super) sorted_ids: RwLock<BTreeSet<String>>,
}

/// A session asking to join its account.
pub struct Login {
    pub user_id: String,
    pub platform: String,
    pub instance_id: String,
    pub link: SessionLink,
}

/// Ids that could not be used, with their codes (7003 invalid identifier, 70107 not imported).
pub type FailedIds = Vec<(String, i32)>;

impl App {
    pub fn new(cfg: AppConfig) -> App {
        let app = App {
            accounts: DashMap::new(),
            cfg: LiveConfig::new(cfg),
            monitor: Monitor::default(),
            sorted_ids: RwLock::new(BTreeSet::new()),
        };
        for id in &app.cfg.get().accounts {
            // Checked by Config::validate; an invalid one is simply not imported.
            let _ = app.import(id);
        }
        app
    }

    /// The account, cloned out of the map so no map lock is held afterwards.
    pub fn account(&self, id: &str) -> Option<Arc<Account>> {
        self.accounts.get(id).map(|a| Arc::clone(a.value()))
    }

    /// Imports an account (idempotent). 7003 if the identifier is invalid.
    pub fn import(&self, id: &str) -> Result<(), i32> {
        if !valid_user_id(id) {
            return Err(code::INVALID_IDENTIFIER);
        }
        let mut added = false;
        self.accounts.entry(id.to_owned()).or_insert_with(|| {
            added = true;
            Arc::new(Account::new(id.to_owned()))
        });
        if added {
            write(&self.sorted_ids).insert(id.to_owned());
        }
        Ok(())
    }

    /// Adds a session to its account, replacing a session of the same instance id and, under
    /// `one_per_platform`, kicking sessions on the same platform.
    pub fn login(&self, login: Login) -> Result<(), i32> {
        let acc = self
            .account(&login.user_id)
            .ok_or(code::ACCOUNT_NOT_FOUND)?;
        let one_per_platform = self.cfg.get().login_policy == LoginPolicy::OnePerPlatform;
        self.mutate(&acc, |st| {
            let displaced: Vec<(u64, EndReason)> = st
                .sessions
                .iter()
                .filter_map(|s| {
                    if s.instance_id == login.instance_id {
                        Some((s.sid, EndReason::Replaced))
                    } else if one_per_platform && s.platform == login.platform {
                        Some((s.sid, EndReason::Kicked))
                    } else {
                        None
                    }
                })
                .collect();
            st.sessions
                .retain(|s| !displaced.iter().any(|(sid, _)| *sid == s.sid));
            st.sessions.push(SessionInfo {
                sid: login.link.sid,
                platform: login.platform,
                instance_id: login.instance_id,
            });
            let sids: Vec<u64> = displaced.iter().map(|(sid, _)| *sid).collect();
            for link in acc.remove_links(&sids) {
                if let Some((_, reason)) = displaced.iter().find(|(sid, _)| *sid == link.sid) {
                    link.ctl.end(*reason);
                }
            }
            acc.add_link(login.link);
        });
        Ok(())
    }

    /// Removes a session (no-op if it was already replaced or kicked). When it was the last one the
    /// account becomes UNLOGINED (`logged_out`) or OFFLINE, its custom status is cleared and its
    /// subscriptions are dropped after the retention time.
    pub fn end_session(self: &Arc<Self>, user_id: &str, sid: u64, logged_out: bool) {
        let Some(acc) = self.account(user_id) else {
            return;
        };
        let offline_gen = self.mutate(&acc, |st| {
            let before = st.sessions.len();
            st.sessions.retain(|s| s.sid != sid);
            if st.sessions.len() == before {
                return None;
            }
            acc.remove_links(&[sid]);
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
            Some(st.offline_gen)
        });
        if let (Some(gen), Ok(rt)) = (offline_gen, tokio::runtime::Handle::try_current()) {
            let app = Arc::clone(self);
            let user = user_id.to_owned();
            let retention = Duration::from_secs(self.cfg.get().limits.subscription_retention_s);
            rt.spawn(async move {
                tokio::time::sleep(retention).await;
                app.expire_subscriptions(&user, gen);
            });
        }
    }

    /// Drops the subscription list of an account still offline since generation `gen`.
    fn expire_subscriptions(&self, user_id: &str, gen: u64) {
        let Some(acc) = self.account(user_id) else {
            return;
        };
        let _serial = acc.subscription_change();
        let dropped = {
            let mut st = acc.state();
            if !st.sessions.is_empty() || st.offline_gen != gen {
                return;
            }
            std::mem::take(&mut st.subscriptions)
        };
        self.unlink_subscribers(user_id, &dropped);
    }

    /// Sets or (None / empty) clears the caller's custom status. 6017 if too long.
    pub fn set_custom_status(&self, user_id: &str, text: Option<&str>) -> Result<(), i32> {
        let text = rules::check_custom(&self.cfg.get(), text)?;
        let acc = self.account(user_id).ok_or(code::ACCOUNT_NOT_FOUND)?;
        self.mutate(&acc, |st| st.custom_status = text.to_owned());
        Ok(())
    }

    /// Status of `ids`: own id always; others need the plan, the switch, the id cap and the rate.
    /// Unusable ids are left out; the call fails only if every id fails.
    pub fn get_user_status(&self, caller: &str, ids: &[String]) -> Result<Vec<UserStatus>, i32> {
        if rules::check_get(&self.cfg.get(), caller, ids)? {
            self.check_rate(caller, |r| &mut r.get)?;
        }
        let (found, failed) = self.resolve(ids);
        if found.is_empty() {
            return Err(failed.first().map_or(code::INVALID_PARAMETERS, |f| f.1));
        }
        Ok(found.iter().map(|a| a.status()).collect())
    }

    /// Adds `ids` to the caller's subscription list (newest last), evicting the oldest above the cap.
    pub fn subscribe(&self, caller: &str, ids: &[String]) -> Result<(), i32> {
        rules::check_subscribe(&self.cfg.get(), caller, ids)?;
        self.check_rate(caller, |r| &mut r.subscribe)?;
        let (found, failed) = self.resolve(ids);
        if found.is_empty() {
            return Err(failed.first().map_or(code::INVALID_PARAMETERS, |f| f.1));
        }
        let acc = self.account(caller).ok_or(code::ACCOUNT_NOT_FOUND)?;
        let _serial = acc.subscription_change();
        let evicted = {
            let mut st = acc.state();
            for target in &found {
                st.subscriptions.retain(|s| *s != target.id);
                st.subscriptions.push(target.id.clone());
            }
            let over = st
                .subscriptions
                .len()
                .saturating_sub(self.cfg.get().limits.subscription_max);
            st.subscriptions.drain(..over).collect::<Vec<_>>()
        };
        for target in &found {
            target.state().subscribers.insert(caller.to_owned());
        }
        self.unlink_subscribers(caller, &evicted);
        Ok(())
    }

    /// Removes `ids` from the caller's subscription list; `None` or empty clears it.
    pub fn unsubscribe(&self, caller: &str, ids: Option<&[String]>) -> Result<(), i32> {
        rules::check_unsubscribe(&self.cfg.get(), ids)?;
        self.check_rate(caller, |r| &mut r.unsubscribe)?;
        let acc = self.account(caller).ok_or(code::ACCOUNT_NOT_FOUND)?;
        let _serial = acc.subscription_change();
        let removed = {
            let mut st = acc.state();
            match ids {
                Some(ids) if !ids.is_empty() => {
                    let (gone, kept) = std::mem::take(&mut st.subscriptions)
                        .into_iter()
                        .partition(|s| ids.contains(s));
                    st.subscriptions = kept;
                    gone
                }
                _ => std::mem::take(&mut st.subscriptions),
            }
        };
        self.unlink_subscribers(caller, &removed);
        Ok(())
    }

    /// The caller's current subscription list, oldest first.
    pub fn subscriptions(&self, user_id: &str) -> Vec<String> {
        self.account(user_id)
            .map(|a| a.state().subscriptions.clone())
            .unwrap_or_default()
    }

    /// Adds `to` to `from`'s friend list (and the reverse when `both`). Returns the result code.
    pub fn add_friend(&self, from: &str, to: &str, both: bool) -> i32 {
        self.change_friendship(from, to, both, true)
    }

    /// Removes `to` from `from`'s friend list (and the reverse when `both`). Returns the result code.
    pub fn delete_friend(&self, from: &str, to: &str, both: bool) -> i32 {
        self.change_friendship(from, to, both, false)
    }

    fn change_friendship(&self, from: &str, to: &str, both: bool, add: bool) -> i32 {
        if from == to {
            return code::INVALID_PARAMETERS;
        }
        let (Some(a), Some(b)) = (self.account(from), self.account(to)) else {
            return code::ACCOUNT_NOT_FOUND;
        };
        let pairs: &[(&Account, &Account)] = if both {
            &[(&a, &b), (&b, &a)]
        } else {
            &[(&a, &b)]
        };
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
        code::SUCC
    }

    /// Status and the platform of each online session, for the REST online query.
    pub fn presence(&self, id: &str) -> Option<(UserStatus, Vec<String>)> {
        let acc = self.account(id)?;
        let st = acc.state();
        Some((
            st.status(&acc.id),
            st.sessions.iter().map(|s| s.platform.clone()).collect(),
        ))
    }

    /// Counts a call of the caller in one of its rate windows (7008 when full).
    fn check_rate(
        &self,
        caller: &str,
        window: impl FnOnce(&mut Rates) -> &mut RateWindow,
    ) -> Result<(), i32> {
        let acc = self.account(caller).ok_or(code::ACCOUNT_NOT_FOUND)?;
        let cfg = self.cfg.get();
        let limits = &cfg.limits;
        let mut st = acc.state();
        if window(&mut st.rates).allow(Instant::now(), limits.rate_calls, limits.rate_window()) {
            Ok(())
        } else {
            Err(code::API_CALL_FREQUENCY_LIMIT)
        }
    }

    /// Splits ids (deduplicated, in order) into imported accounts and failures.
    fn resolve(&self, ids: &[String]) -> (Vec<Arc<Account>>, FailedIds) {
        let mut found: Vec<Arc<Account>> = Vec::new();
        let mut failed = FailedIds::new();
        for id in ids {
            if found.iter().any(|a| a.id == *id) || failed.iter().any(|f| f.0 == *id) {
                continue;
            }
            match self.account(id) {
                Some(acc) => found.push(acc),
                None if !valid_user_id(id) => failed.push((id.clone(), code::INVALID_IDENTIFIER)),
                None => failed.push((id.clone(), code::ACCOUNT_NOT_FOUND)),
            }
        }
        (found, failed)
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
    /// sessions, its subscribers and (friend switch on) the users who list it as a friend.
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
        let frame = Frame::from(encode(&ServerFrame::StatusChanged {
            statuses: vec![status],
        }));
        let mut frames = acc.deliver(&frame);
        let friends = self.cfg.get().friend_status_notify.then_some(&st.friend_of);
        // Subscribers are a set already: only their union with friends needs de-duplicating, so
        // most changes build no HashSet (it was a fifth of the work per recipient).
        let dedupe = friends.is_some_and(|f| !f.is_empty());
        let mut done: HashSet<&str> = match dedupe {
            true => HashSet::with_capacity(st.subscribers.len() + st.friend_of.len()),
            false => HashSet::new(),
        };
        for id in st.subscribers.iter().chain(friends.into_iter().flatten()) {
            if id != &acc.id && (!dedupe || done.insert(id)) {
                if let Some(recipient) = self.account(id) {
                    frames += recipient.deliver(&frame);
                }
            }
        }
        frames
    }
}

/// Write-locks, ignoring poisoning.
fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
