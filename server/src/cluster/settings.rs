//! Settings changed in a node's web console, shared with every node of the cluster: stored under
//! `P settings` (read by a node at start and after a lost connection) and published on the
//! `P settings` channel (applied by every node at once).

use super::ClusterApp;
use crate::config::Settings;
use crate::store::StatusError;

impl ClusterApp {
    /// Stores and publishes settings (JSON of [`Settings`]) for the whole cluster.
    pub(super) async fn share_settings(&self, json: &str) -> Result<(), StatusError> {
        let key = self.key("settings");
        self.cmd::<()>(redis::cmd("SET").arg(&key).arg(json))
            .await?;
        self.cmd::<()>(redis::cmd("PUBLISH").arg(&key).arg(json))
            .await
    }

    /// Applies shared settings (a message of the channel or the stored value). Settings that do not
    /// pass the checks are ignored: the node keeps its own.
    pub(super) fn apply_shared_settings(&self, payload: &[u8]) {
        let Ok(shared) = serde_json::from_slice::<Settings>(payload) else {
            return;
        };
        if let Ok(cfg) = shared.apply(&self.cfg.get()) {
            self.cfg.set(cfg);
        }
    }

    /// Applies the stored shared settings, if any.
    pub(super) async fn load_shared_settings(&self) -> Result<(), StatusError> {
        let stored: Option<Vec<u8>> = self
            .cmd(redis::cmd("GET").arg(self.key("settings")))
            .await?;
        if let Some(stored) = stored {
            self.apply_shared_settings(&stored);
        }
        Ok(())
    }
}
