//! One app as the session and REST layers see it: the embedded in-memory store, or the Redis
//! cluster store (`--redis`). Same calls, same codes.

use super::{App, Login};
use crate::cluster::ClusterApp;
use crate::config::AppConfig;
use imsdk_protocol::UserStatus;
use std::sync::Arc;

/// An account's status and the platform of each of its online sessions.
pub type Presence = (UserStatus, Vec<String>);

#[derive(Clone)]
pub enum Backend {
    Local(Arc<App>),
    Cluster(Arc<ClusterApp>),
}

impl Backend {
    /// The app's settings now (they may change at runtime: read them per call).
    pub fn cfg(&self) -> Arc<AppConfig> {
        self.live().get()
    }

    pub fn live(&self) -> &super::live::LiveConfig {
        match self {
            Backend::Local(app) => &app.cfg,
            Backend::Cluster(app) => &app.cfg,
        }
    }

    pub async fn import(&self, id: &str) -> Result<(), i32> {
        match self {
            Backend::Local(app) => app.import(id),
            Backend::Cluster(app) => app.import(id).await,
        }
    }

    pub async fn login(&self, login: Login) -> Result<(), i32> {
        match self {
            Backend::Local(app) => app.login(login),
            Backend::Cluster(app) => app.login(login).await,
        }
    }

    pub async fn end_session(&self, user_id: &str, sid: u64, logged_out: bool) {
        match self {
            Backend::Local(app) => app.end_session(user_id, sid, logged_out),
            Backend::Cluster(app) => app.end_session(user_id, sid, logged_out).await,
        }
    }

    pub async fn set_custom_status(&self, user_id: &str, text: Option<&str>) -> Result<(), i32> {
        match self {
            Backend::Local(app) => app.set_custom_status(user_id, text),
            Backend::Cluster(app) => app.set_custom_status(user_id, text).await,
        }
    }

    pub async fn get_user_status(
        &self,
        caller: &str,
        ids: &[String],
    ) -> Result<Vec<UserStatus>, i32> {
        match self {
            Backend::Local(app) => app.get_user_status(caller, ids),
            Backend::Cluster(app) => app.get_user_status(caller, ids).await,
        }
    }

    pub async fn subscribe(&self, caller: &str, ids: &[String]) -> Result<(), i32> {
        match self {
            Backend::Local(app) => app.subscribe(caller, ids),
            Backend::Cluster(app) => app.subscribe(caller, ids).await,
        }
    }

    pub async fn unsubscribe(&self, caller: &str, ids: Option<&[String]>) -> Result<(), i32> {
        match self {
            Backend::Local(app) => app.unsubscribe(caller, ids),
            Backend::Cluster(app) => app.unsubscribe(caller, ids).await,
        }
    }

    /// Adds (`add`) or removes `to` in `from`'s friend list, and the reverse when `both`.
    pub async fn change_friendship(&self, from: &str, to: &str, both: bool, add: bool) -> i32 {
        match self {
            Backend::Local(app) if add => app.add_friend(from, to, both),
            Backend::Local(app) => app.delete_friend(from, to, both),
            Backend::Cluster(app) => app.change_friendship(from, to, both, add).await,
        }
    }

    /// Status and session platforms of each id for the REST online query (None: not imported).
    pub async fn presence(&self, ids: &[String]) -> Result<Vec<Option<Presence>>, i32> {
        match self {
            Backend::Local(app) => Ok(ids.iter().map(|id| app.presence(id)).collect()),
            Backend::Cluster(app) => app.presence(ids).await,
        }
    }

    /// Graceful stop of the node (cluster: its sessions go OFFLINE now, not at lease expiry).
    pub async fn leave(&self) {
        if let Backend::Cluster(app) = self {
            app.leave().await;
        }
    }
}
