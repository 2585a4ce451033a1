//! The store interface of a cluster node: each change one Lua script on Redis (atomic there), the
//! rules around them in `store::App`.

use super::{flag, ClusterApp};
use crate::config::Settings;
use crate::store::{AppStore, HubSession, Login, Presence, RateOp, StatusError};
use async_trait::async_trait;
use imsdk_protocol::code;
use std::sync::atomic::Ordering;

#[async_trait]
impl AppStore for ClusterApp {
    async fn import(&self, ids: &[String]) -> Result<(), StatusError> {
        self.import_all(ids).await
    }

    /// Other nodes end the sessions it displaces (same instance, or same platform under
    /// `one_per_platform`) when the published change reaches them.
    async fn login(&self, login: Login) -> Result<(), StatusError> {
        let Login {
            user_id: user,
            platform,
            instance_id,
            link,
        } = login;
        let sid = link.sid;
        let _registering = self.registry.read().await;
        // Registered locally first: the change published by the script reaches the new session too.
        self.hub.add(
            &user,
            HubSession {
                link,
                platform: platform.clone(),
                instance_id: instance_id.clone(),
            },
        );
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
            self.hub.remove(&user, sid);
        }
        match result {
            Ok(0) => Ok(()),
            Ok(_) => Err(StatusError::new(code::ACCOUNT_NOT_FOUND)),
            Err(e) => {
                // The script may have run before the answer was lost.
                self.need_sync.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Needs no registry lock: a sync that still saw the session re-adds it before this script
    /// removes it, one that did not see it ends it itself.
    async fn end_session(&self, user_id: &str, sid: u64, logged_out: bool) {
        if self.hub.remove(user_id, sid).is_none() {
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

    async fn set_custom_status(&self, user_id: &str, text: &str) -> Result<(), StatusError> {
        let args = [user_id, text, self.friends()];
        match self.eval::<i64>(&self.scripts.custom, &args).await? {
            0 => Ok(()),
            _ => Err(StatusError::new(code::ACCOUNT_NOT_FOUND)),
        }
    }

    /// In one script.
    async fn presence(&self, ids: &[&str]) -> Result<Vec<Option<Presence>>, StatusError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
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

    /// The window lives in Redis, shared by every node.
    async fn count_call(&self, caller: &str, op: RateOp) -> Result<bool, StatusError> {
        let cfg = self.cfg.get();
        let limits = &cfg.limits;
        let op = match op {
            RateOp::Get => "get",
            RateOp::Subscribe => "sub",
            RateOp::Unsubscribe => "unsub",
        };
        let key = format!("rate:{caller}:{op}");
        let window = limits.rate_window_s.saturating_mul(1000).to_string();
        let calls = limits.rate_calls.to_string();
        let args = [key.as_str(), &window, &calls];
        Ok(self.eval::<i64>(&self.scripts.rate, &args).await? == 1)
    }

    async fn subscribe(&self, caller: &str, ids: &[&str]) -> Result<Vec<bool>, StatusError> {
        let cap = self.cfg.get().limits.subscription_max.to_string();
        let mut args = vec![caller, cap.as_str()];
        args.extend(ids);
        let done: Vec<i64> = self.eval(&self.scripts.subscribe, &args).await?;
        Ok(done.iter().map(|ok| *ok != 0).collect())
    }

    async fn unsubscribe(&self, caller: &str, ids: Option<&[String]>) -> Result<(), StatusError> {
        let mut args = vec![caller];
        args.extend(ids.unwrap_or_default().iter().map(String::as_str));
        self.eval::<i64>(&self.scripts.unsubscribe, &args).await?;
        Ok(())
    }

    async fn change_friendship(
        &self,
        from: &str,
        to: &str,
        both: bool,
        add: bool,
    ) -> Result<(), StatusError> {
        let args = [from, to, flag(both), flag(add)];
        match self.eval::<i64>(&self.scripts.friend, &args).await? {
            0 => Ok(()),
            _ => Err(StatusError::new(code::ACCOUNT_NOT_FOUND)),
        }
    }

    async fn account_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<(usize, Vec<String>), StatusError> {
        let mut ids = self.account_ids(filter).await?;
        ids.sort_unstable();
        let total = ids.len();
        let page = ids.into_iter().skip(page.saturating_mul(size)).take(size);
        Ok((total, page.collect()))
    }

    async fn lists(&self, id: &str) -> Result<(Vec<String>, Vec<String>), StatusError> {
        self.friend_and_subscription_lists(id).await
    }

    /// A node does not see statuses before a published change.
    fn online_ids(&self, _max: usize) -> Vec<String> {
        Vec::new()
    }

    /// Stores and publishes this node's current settings for the whole cluster.
    async fn save_settings(&self) -> Result<(), StatusError> {
        let json = serde_json::to_string(&Settings::of(&self.cfg.get()))
            .map_err(|_| StatusError::new(code::INVALID_PARAMETERS))?;
        self.share_settings(&json).await
    }

    async fn leave(&self) {
        self.leave_now().await
    }

    async fn reachable(&self) -> bool {
        self.ping().await
    }
}
