//! Read-only views of an app for the web console: the account list, one account's detail and who
//! is online.

use super::App;
use imsdk_protocol::UserStatus;
use serde::Serialize;

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
    /// Page `page` (of `size`) of the imported ids containing `filter`, sorted, and how many match.
    pub async fn account_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<(usize, Vec<String>), i32> {
        self.store().account_page(filter, page, size).await
    }

    /// The account's status, devices, friends and subscriptions (None: not imported).
    pub async fn account_detail(&self, id: &str) -> Result<Option<AccountDetail>, i32> {
        let Some(Some((status, devices))) = self.presence(&[id.to_owned()]).await?.pop() else {
            return Ok(None);
        };
        let (friends, subscriptions) = self.store().lists(id).await?;
        Ok(Some(AccountDetail {
            status,
            devices,
            friends,
            subscriptions,
        }))
    }

    /// Up to `max` accounts ONLINE now (cluster mode: none; the live view shows changes as heard).
    pub fn online_ids(&self, max: usize) -> Vec<String> {
        self.store().online_ids(max)
    }
}
