//! Readiness of the shared store: a `PING`, bounded in time like every call.

use super::ClusterApp;

impl ClusterApp {
    /// True if Redis answers now.
    pub(super) async fn ping(&self) -> bool {
        self.cmd::<String>(&redis::cmd("PING")).await.is_ok()
    }
}
