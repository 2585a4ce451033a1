//! One app as the session, REST and console layers see it: the user-status rules (argument checks,
//! plan and switch, rate windows, which ids count) in one place, over its [`AppStore`]. Every call
//! answers a Tencent code on failure, the same whichever store is behind it.

use super::fanout::SessionLink;
use super::live::{LiveConfig, Monitor};
use super::{rules, AppStore, RateOp, StatusError};
use crate::config::AppConfig;
use imsdk_protocol::valid_user_id;
use imsdk_protocol::{code, UserStatus};
use std::sync::Arc;

/// An account's status and the platform of each of its online sessions.
pub type Presence = (UserStatus, Vec<String>);

/// A session asking to join its account.
pub struct Login {
    pub user_id: String,
    pub platform: String,
    pub instance_id: String,
    pub link: SessionLink,
}

pub struct App {
    cfg: Arc<LiveConfig>,
    monitor: Arc<Monitor>,
    store: Arc<dyn AppStore>,
}

impl App {
    pub fn new(cfg: Arc<LiveConfig>, monitor: Arc<Monitor>, store: Arc<dyn AppStore>) -> App {
        App {
            cfg,
            monitor,
            store,
        }
    }

    /// The app's settings now (they may change at runtime: read them per call).
    pub fn cfg(&self) -> Arc<AppConfig> {
        self.cfg.get()
    }

    pub fn live(&self) -> &LiveConfig {
        &self.cfg
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Imports one account. 7003 if the identifier is invalid.
    pub async fn import(&self, id: &str) -> Result<(), StatusError> {
        if !valid_user_id(id) {
            return Err(StatusError::new(code::INVALID_IDENTIFIER));
        }
        self.store.import(&[id.to_owned()]).await
    }

    /// Imports the valid ids in one store write; returns the invalid ones.
    pub async fn import_many<'a>(&self, ids: &'a [String]) -> Result<Vec<&'a String>, StatusError> {
        let (valid, invalid): (Vec<&String>, Vec<&String>) =
            ids.iter().partition(|id| valid_user_id(id));
        let valid: Vec<String> = valid.into_iter().cloned().collect();
        if !valid.is_empty() {
            self.store.import(&valid).await?;
        }
        Ok(invalid)
    }

    /// Joins the session to its account (the caller verified its UserSig). With
    /// `auto_import_accounts`, an account not imported yet is imported first.
    pub async fn login(&self, login: Login) -> Result<(), StatusError> {
        if self.cfg().auto_import_accounts {
            self.store
                .import(std::slice::from_ref(&login.user_id))
                .await?;
        }
        self.store.login(login).await
    }

    pub async fn end_session(&self, user_id: &str, sid: u64, logged_out: bool) {
        self.store.end_session(user_id, sid, logged_out).await
    }

    /// Sets or (None / empty) clears the caller's custom status. 6017 if too long.
    pub async fn set_custom_status(
        &self,
        user_id: &str,
        text: Option<&str>,
    ) -> Result<(), StatusError> {
        let text = rules::check_custom(&self.cfg(), text)?;
        self.store.set_custom_status(user_id, text).await
    }

    /// Status of `ids`: own id always; others need the plan, the switch, the id cap and the rate.
    /// Unusable ids are left out; the call fails only if every id fails.
    pub async fn get_user_status(
        &self,
        caller: &str,
        ids: &[String],
    ) -> Result<Vec<UserStatus>, StatusError> {
        if rules::check_get(&self.cfg(), caller, ids)? {
            self.check_rate(caller, RateOp::Get).await?;
        }
        let (valid, mut failed) = split_ids(ids);
        let found = self.store.presence(&valid).await?;
        let mut out = Vec::new();
        for (id, item) in valid.iter().zip(found) {
            match item {
                Some((status, _)) => out.push(status),
                None => failed.push((position(ids, id), code::ACCOUNT_NOT_FOUND)),
            }
        }
        if out.is_empty() {
            return Err(StatusError::new(first_failure(&failed)));
        }
        Ok(out)
    }

    /// Adds `ids` to the caller's subscription list (newest last), evicting the oldest above the
    /// cap. Fails only if no id is an imported account.
    pub async fn subscribe(&self, caller: &str, ids: &[String]) -> Result<(), StatusError> {
        rules::check_subscribe(&self.cfg(), caller, ids)?;
        self.check_rate(caller, RateOp::Subscribe).await?;
        let (valid, mut failed) = split_ids(ids);
        let done = match valid.is_empty() {
            true => Vec::new(),
            false => self.store.subscribe(caller, &valid).await?,
        };
        for (id, ok) in valid.iter().zip(&done) {
            if !ok {
                failed.push((position(ids, id), code::ACCOUNT_NOT_FOUND));
            }
        }
        if done.iter().all(|ok| !ok) {
            return Err(StatusError::new(first_failure(&failed)));
        }
        Ok(())
    }

    /// Removes `ids` from the caller's subscription list; `None` or empty clears it.
    pub async fn unsubscribe(
        &self,
        caller: &str,
        ids: Option<&[String]>,
    ) -> Result<(), StatusError> {
        rules::check_unsubscribe(&self.cfg(), ids)?;
        self.check_rate(caller, RateOp::Unsubscribe).await?;
        self.store
            .unsubscribe(caller, ids.filter(|ids| !ids.is_empty()))
            .await
    }

    /// Adds (`add`) or removes `to` in `from`'s friend list, and the reverse when `both`.
    pub async fn change_friendship(
        &self,
        from: &str,
        to: &str,
        both: bool,
        add: bool,
    ) -> Result<(), StatusError> {
        if from == to {
            return Err(StatusError::new(code::INVALID_PARAMETERS));
        }
        if !valid_user_id(from) || !valid_user_id(to) {
            return Err(StatusError::new(code::ACCOUNT_NOT_FOUND));
        }
        self.store.change_friendship(from, to, both, add).await
    }

    /// Status and session platforms of each id for the REST online query (None: not imported
    /// or not a valid identifier).
    pub async fn presence(&self, ids: &[String]) -> Result<Vec<Option<Presence>>, StatusError> {
        let valid: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| valid_user_id(id))
            .collect();
        let mut found = self.store.presence(&valid).await?.into_iter();
        Ok(ids
            .iter()
            .map(|id| match valid_user_id(id) {
                true => found.next().flatten(),
                false => None,
            })
            .collect())
    }

    pub(super) fn store(&self) -> &dyn AppStore {
        self.store.as_ref()
    }

    /// Keeps the current settings (database, or Redis for every node).
    pub async fn save_settings(&self) -> Result<(), StatusError> {
        self.store.save_settings().await
    }

    /// Graceful stop of the node (cluster: its sessions go OFFLINE now, not at lease expiry).
    pub async fn leave(&self) {
        self.store.leave().await
    }

    pub async fn reachable(&self) -> bool {
        self.store.reachable().await
    }

    /// Counts a call of the caller in its window for `op` (7008 when full).
    async fn check_rate(&self, caller: &str, op: RateOp) -> Result<(), StatusError> {
        match self.store.count_call(caller, op).await? {
            true => Ok(()),
            false => Err(StatusError::new(code::API_CALL_FREQUENCY_LIMIT)),
        }
    }
}

/// Deduplicates `ids` (first occurrence kept) and splits off the invalid ones (7003, with their
/// position in the request).
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

fn position(ids: &[String], id: &str) -> usize {
    ids.iter().position(|x| x == id).unwrap_or(usize::MAX)
}
