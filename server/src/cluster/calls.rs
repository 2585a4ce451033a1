//! The user-status calls of a cluster node: the same rules and codes as the in-memory store
//! (`store::rules`), each change one Lua script on Redis.

use super::{flag, ClusterApp, LocalSession};
use crate::store::{rules, valid_user_id, Login, Presence};
use imsdk_protocol::{code, UserStatus};
use std::sync::atomic::Ordering;

impl ClusterApp {
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
        let Login {
            user_id: user,
            platform,
            instance_id,
            link,
        } = login;
        let sid = link.sid;
        let _registering = self.registry.read().await;
        // Registered locally first: the change published by the script reaches the new session too.
        self.local
            .entry(user.clone())
            .or_default()
            .push(LocalSession {
                link,
                platform: platform.clone(),
                instance_id: instance_id.clone(),
            });
        let gsid = self.gsid(sid);
        let args = [
            user.as_str(),
            &gsid,
            &platform,
            &instance_id,
            self.one_per_platform(),
            self.friends(),
        ];
        let result = self.eval::<i64>(&self.scripts.login, &args).await;
        if result != Ok(0) {
            self.remove_local(&user, sid);
        }
        match result {
            Ok(0) => Ok(()),
            Ok(_) => Err(code::ACCOUNT_NOT_FOUND),
            Err(e) => {
                // The script may have run before the answer was lost.
                self.need_sync.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Removes a session (no-op if it was already replaced or kicked).
    /// Needs no registry lock: a sync that still saw the session re-adds it before this script
    /// removes it, one that did not see it ends it itself.
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
        let text = rules::check_custom(&self.cfg.get(), text)?;
        let args = [user_id, text, self.friends()];
        match self.eval::<i64>(&self.scripts.custom, &args).await? {
            0 => Ok(()),
            _ => Err(code::ACCOUNT_NOT_FOUND),
        }
    }

    /// Status and session platforms of each id (None: not imported).
    async fn lookup(&self, ids: &[&str]) -> Result<Vec<Option<Presence>>, i32> {
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

    /// Status and the platform of each online session of each id (None: not imported), in one
    /// script, for the REST online query.
    pub async fn presence(&self, ids: &[String]) -> Result<Vec<Option<Presence>>, i32> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.lookup(&ids).await
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
        if rules::check_get(&self.cfg.get(), caller, ids)? {
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
        rules::check_subscribe(&self.cfg.get(), caller, ids)?;
        self.check_rate(caller, "sub").await?;
        let (valid, mut failed) = Self::split_ids(ids);
        let cap = self.cfg.get().limits.subscription_max.to_string();
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
        rules::check_unsubscribe(&self.cfg.get(), ids)?;
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
        let cfg = self.cfg.get();
        let limits = &cfg.limits;
        let key = format!("rate:{caller}:{op}");
        let window = limits.rate_window_s.saturating_mul(1000).to_string();
        let calls = limits.rate_calls.to_string();
        let args = [key.as_str(), &window, &calls];
        match self.eval::<i64>(&self.scripts.rate, &args).await? {
            1 => Ok(()),
            _ => Err(code::API_CALL_FREQUENCY_LIMIT),
        }
    }
}

fn position(ids: &[String], id: &str) -> usize {
    ids.iter().position(|x| x == id).unwrap_or(usize::MAX)
}
