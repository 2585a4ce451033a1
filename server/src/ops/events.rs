//! What the session layer reports, turned into metrics, logs and webhook events in one place.

use super::webhook::{Action, StateEvent, Target};
use super::Ops;
use crate::store::{App, SessionEnd};
use std::net::IpAddr;
use std::time::Instant;

/// Who a session is, for metrics, logs and webhooks.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub sdk_app_id: u64,
    pub user_id: String,
    pub platform: String,
    pub peer: IpAddr,
}

impl Ops {
    fn event(&self, app: &App, s: &SessionInfo, action: Action) {
        let Some(target) = Target::of(&app.cfg()) else {
            return;
        };
        self.webhooks.notify(
            target,
            StateEvent {
                sdk_app_id: s.sdk_app_id,
                user_id: s.user_id.clone(),
                platform: s.platform.clone(),
                client_ip: s.peer,
                action,
            },
        );
    }

    pub fn logged_in(&self, app: &App, s: &SessionInfo) {
        self.metrics.login(s.sdk_app_id, true);
        tracing::debug!("logged in");
        self.event(app, s, Action::Login);
    }

    /// A refused login of a configured app (`sdk_app_id` 0 for unknown ones: no label per guess).
    pub fn login_refused(&self, sdk_app_id: u64, code: i32) {
        self.metrics.login(sdk_app_id, false);
        self.metrics.answered(code);
        tracing::info!(code, "login refused");
    }

    pub fn ended(&self, app: &App, s: &SessionInfo, how: SessionEnd) {
        self.metrics.online(s.sdk_app_id, -1);
        tracing::debug!(?how, "session ended");
        let action = match how {
            SessionEnd::LoggedOut => Action::Logout,
            SessionEnd::TimedOut => Action::Disconnect { timed_out: true },
            // Gone for good for whoever watches the webhook.
            SessionEnd::LinkClosed | SessionEnd::Shutdown => {
                Action::Disconnect { timed_out: false }
            }
            SessionEnd::SlowConsumer => {
                self.metrics.drop_counted("session");
                Action::Disconnect { timed_out: false }
            }
            // The new login is the event.
            SessionEnd::Kicked | SessionEnd::Replaced | SessionEnd::Displaced => return,
        };
        self.event(app, s, action);
    }

    pub fn custom_status_set(&self, app: &App, s: &SessionInfo, text: Option<&str>) {
        tracing::debug!("custom status set");
        self.event(app, s, Action::CustomStatus(text.unwrap_or("").to_owned()));
    }

    /// One answered request: its latency by kind, and store failures.
    pub fn answered(&self, kind: &'static str, started: Instant, code: i32) {
        self.metrics.observe(kind, started.elapsed());
        self.metrics.answered(code);
    }

    /// Statuses written to a session (a coalesced frame carries several).
    pub fn pushed(&self, statuses: usize) {
        self.metrics.notifications_sent.inc_by(statuses as u64);
    }
}
