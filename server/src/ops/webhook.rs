//! Tencent's `State.StateChange` callback: every Login, Logout, Disconnect and custom-status change
//! of an app with a `callback_url` is POSTed there (the app's settings at the time of the event). The status path only does a non-blocking
//! `try_send` into a bounded queue (full: the event is dropped and counted); a task delivers with a
//! per-request timeout and a few retries with backoff, several requests at once.

use super::metrics::{Metrics, ResultLabel};
use crate::config::{AppConfig, ServerSettings};
use backon::BackoffBuilder;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

/// Requests in flight at once: a hanging receiver holds at most this many.
const CONCURRENCY: usize = 16;

/// Where an app's events go.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    /// When set, requests carry `RequestTime` and `Sign` = hex SHA-256 of token + RequestTime.
    pub token: Option<String>,
}

impl Target {
    /// The app's callback, if it has one (an empty URL is none).
    pub fn of(app: &AppConfig) -> Option<Target> {
        Some(Target {
            url: app.callback_url.clone().filter(|u| !u.is_empty())?,
            token: app.callback_token.clone().filter(|t| !t.is_empty()),
        })
    }
}

/// What happened to a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Logout,
    /// The connection closed (`LinkClose`) or missed its heartbeats (`TimeOut`).
    Disconnect {
        timed_out: bool,
    },
    /// Extension: `Action` `SetCustomStatus`, `Reason` `CustomStatus`, `Info.CustomStatus` the text.
    CustomStatus(String),
}

/// One state change, as the session layer saw it.
#[derive(Clone, Debug)]
pub struct StateEvent {
    pub sdk_app_id: u64,
    pub user_id: String,
    pub platform: String,
    pub client_ip: IpAddr,
    pub action: Action,
}

struct Job {
    target: Target,
    event: StateEvent,
    /// Milliseconds since the Unix epoch when it happened.
    event_time_ms: u128,
    /// Held until the event was delivered or given up ([`Webhooks::flush`] waits for it).
    _pending: TaskTrackerToken,
}

/// The webhook queue of one server.
pub struct Webhooks {
    queue: mpsc::Sender<Job>,
    /// Events queued or in flight: one token each, in their [`Job`].
    pending: TaskTracker,
    metrics: Arc<Metrics>,
}

impl Webhooks {
    /// Starts the delivery task (call inside the server's runtime).
    pub fn start(settings: &ServerSettings, metrics: Arc<Metrics>) -> Webhooks {
        let (tx, rx) = mpsc::channel(settings.webhook_queue.max(1));
        let webhooks = Webhooks {
            queue: tx,
            pending: TaskTracker::new(),
            metrics,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.webhook_timeout_ms))
            .build()
            .unwrap_or_default();
        tokio::spawn(deliver_all(
            rx,
            Delivery {
                client,
                retries: settings.webhook_retries,
                metrics: Arc::clone(&webhooks.metrics),
            },
        ));
        webhooks
    }

    /// Queues an event for `target`; never waits.
    pub fn notify(&self, target: Target, event: StateEvent) {
        let event_time_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let job = Job {
            target,
            event,
            event_time_ms,
            _pending: self.pending.token(),
        };
        if self.queue.try_send(job).is_err() {
            self.metrics.drop_counted("webhook");
            self.metrics
                .webhooks
                .get_or_create(&ResultLabel { result: "dropped" })
                .inc();
        }
    }

    /// Waits until every queued event was delivered (or gave up), at most `bound`; true if all were.
    /// At shutdown: events queued later still count, but the wait ends once none is left.
    pub async fn flush(&self, bound: Duration) -> bool {
        self.pending.close();
        tokio::time::timeout(bound, self.pending.wait())
            .await
            .is_ok()
    }
}

#[derive(Clone)]
struct Delivery {
    client: reqwest::Client,
    retries: u32,
    metrics: Arc<Metrics>,
}

async fn deliver_all(mut rx: mpsc::Receiver<Job>, delivery: Delivery) {
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    while let Some(job) = rx.recv().await {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let delivery = delivery.clone();
        tokio::spawn(async move {
            let ok = delivery.send(&job).await;
            let result = if ok { "ok" } else { "failed" };
            delivery
                .metrics
                .webhooks
                .get_or_create(&ResultLabel { result })
                .inc();
            if !ok {
                tracing::warn!(url = %job.target.url, "state webhook not delivered");
            }
            drop((job, slot));
        });
    }
}

impl Delivery {
    /// One POST, retried `retries` times with backoff (100 ms, 200 ms, ... at most 6.4 s) on
    /// errors and non-2xx answers.
    async fn send(&self, job: &Job) -> bool {
        let query = query(&job.target, &job.event, crate::store::unix_now());
        let body = body(&job.event, job.event_time_ms);
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(6400))
            .with_max_times(self.retries as usize)
            .build();
        loop {
            let sent = self
                .client
                .post(&job.target.url)
                .query(&query)
                .json(&body)
                .send()
                .await;
            if matches!(sent, Ok(ref r) if r.status().is_success()) {
                return true;
            }
            match delays.next() {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return false,
            }
        }
    }
}

/// Tencent's callback query parameters.
pub fn query(target: &Target, event: &StateEvent, now_s: u64) -> Vec<(&'static str, String)> {
    let mut q = vec![
        ("SdkAppid", event.sdk_app_id.to_string()),
        ("CallbackCommand", "State.StateChange".to_owned()),
        ("contenttype", "json".to_owned()),
        ("ClientIP", event.client_ip.to_string()),
        ("OptPlatform", event.platform.clone()),
    ];
    if let Some(token) = &target.token {
        let time = now_s.to_string();
        q.push(("Sign", sign(token, &time)));
        q.push(("RequestTime", time));
    }
    q
}

/// Hex SHA-256 of the token followed by RequestTime.
pub fn sign(token: &str, request_time: &str) -> String {
    let digest = Sha256::digest(format!("{token}{request_time}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tencent's callback body.
pub fn body(event: &StateEvent, event_time_ms: u128) -> serde_json::Value {
    let (action, reason) = match &event.action {
        Action::Login => ("Login", "Register"),
        Action::Logout => ("Logout", "Unregister"),
        Action::Disconnect { timed_out: true } => ("Disconnect", "TimeOut"),
        Action::Disconnect { timed_out: false } => ("Disconnect", "LinkClose"),
        Action::CustomStatus(_) => ("SetCustomStatus", "CustomStatus"),
    };
    let mut info = json!({ "Action": action, "To_Account": event.user_id, "Reason": reason });
    if let Action::CustomStatus(text) = &event.action {
        info["CustomStatus"] = json!(text);
    }
    json!({
        "CallbackCommand": "State.StateChange",
        "EventTime": event_time_ms as u64,
        "Info": info,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_is_hex_sha256_of_token_and_time() {
        // printf 'tok1700000000' | sha256sum
        assert_eq!(
            super::sign("tok", "1700000000"),
            "1f4112aa726e20f097d526ff82863c835ad47a6a34dc4ca14240702535c75dbc"
        );
    }
}
