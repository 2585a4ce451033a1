//! Read-only views of a cluster app for the web console (`crate::store::inspect`).

use super::ClusterApp;
use crate::store::StatusError;

impl ClusterApp {
    /// Imported ids containing `filter` (empty: all), unsorted.
    pub(super) async fn account_ids(&self, filter: &str) -> Result<Vec<String>, StatusError> {
        let ids: Vec<String> = self
            .cmd(redis::cmd("SMEMBERS").arg(self.key("accounts")))
            .await?;
        Ok(ids.into_iter().filter(|id| id.contains(filter)).collect())
    }

    /// The account's friends (sorted) and subscriptions (oldest first).
    pub(super) async fn friend_and_subscription_lists(
        &self,
        id: &str,
    ) -> Result<(Vec<String>, Vec<String>), StatusError> {
        let mut friends: Vec<String> = self
            .cmd(redis::cmd("SMEMBERS").arg(self.key(&format!("fr:{id}"))))
            .await?;
        friends.sort_unstable();
        let subscriptions: Vec<String> = self
            .cmd(
                redis::cmd("ZRANGE")
                    .arg(self.key(&format!("sub:{id}")))
                    .arg(0)
                    .arg(-1),
            )
            .await?;
        Ok((friends, subscriptions))
    }
}
