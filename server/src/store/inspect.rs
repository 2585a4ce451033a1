//! Read-only views of an app for the web console: the account list, one account's detail, who is
//! online, and the app's activity monitor.

use super::live::Monitor;
use super::{App, Backend};
use imsdk_protocol::{UserStatus, UserStatusType};
use serde::Serialize;
use std::sync::PoisonError;

/// One account as the console shows it.
#[derive(Debug, Serialize)]
pub struct AccountDetail {
    pub status: UserStatus,
    /// Platform of each online session.
    pub devices: Vec<String>,
    /// Its friend list, sorted.
    pub friends: Vec<String>,
    /// Its subscriptions, oldest first.
    pub subscriptions: Vec<String>,
}

impl App {
    /// Page `page` (of `size`) of the imported ids containing `filter`, in order, and how many
    /// match: one pass over the sorted index, copying only the page.
    fn account_page(&self, filter: &str, page: usize, size: usize) -> (usize, Vec<String>) {
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
        (total, out)
    }

    /// Up to `max` ids of accounts that are ONLINE now.
    fn online_ids(&self, max: usize) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|e| e.value().status().user_status_status_type == UserStatusType::Online)
            .take(max)
            .map(|e| e.key().clone())
            .collect()
    }

    fn lists(&self, id: &str) -> (Vec<String>, Vec<String>) {
        let Some(acc) = self.account(id) else {
            return Default::default();
        };
        let st = acc.state();
        let mut friends: Vec<String> = st.friends.iter().cloned().collect();
        friends.sort_unstable();
        (friends, st.subscriptions.clone())
    }
}

impl Backend {
    /// Page `page` (of `size`) of the imported ids containing `filter`, sorted, and how many match.
    pub async fn account_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<(usize, Vec<String>), i32> {
        match self {
            Backend::Local(app) => Ok(app.account_page(filter, page, size)),
            Backend::Cluster(app) => {
                let mut ids = app.account_ids(filter).await?;
                ids.sort_unstable();
                let total = ids.len();
                let page = ids.into_iter().skip(page.saturating_mul(size)).take(size);
                Ok((total, page.collect()))
            }
        }
    }

    /// The account's status, devices, friends and subscriptions (None: not imported).
    pub async fn account_detail(&self, id: &str) -> Result<Option<AccountDetail>, i32> {
        let Some(Some((status, devices))) = self.presence(&[id.to_owned()]).await?.pop() else {
            return Ok(None);
        };
        let (friends, subscriptions) = match self {
            Backend::Local(app) => app.lists(id),
            Backend::Cluster(app) => app.lists(id).await?,
        };
        Ok(Some(AccountDetail {
            status,
            devices,
            friends,
            subscriptions,
        }))
    }

    /// Up to `max` accounts ONLINE now (cluster mode: none; the live view shows changes as heard).
    pub fn online_ids(&self, max: usize) -> Vec<String> {
        match self {
            Backend::Local(app) => app.online_ids(max),
            Backend::Cluster(_) => Vec::new(),
        }
    }

    /// Cluster mode: gives this node's settings to every node (in memory: nothing to do).
    pub async fn share_settings(&self) -> Result<(), i32> {
        match self {
            Backend::Local(_) => Ok(()),
            Backend::Cluster(app) => app.share_settings().await,
        }
    }

    pub fn monitor(&self) -> &Monitor {
        match self {
            Backend::Local(app) => &app.monitor,
            Backend::Cluster(app) => &app.monitor,
        }
    }
}
