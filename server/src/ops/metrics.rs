//! Prometheus metrics of one server, rendered at `GET /metrics` (text format). A registry per
//! server (not a process-global recorder): several servers in one process keep their own figures.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AppLabel {
    pub sdk_app_id: u64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginLabel {
    pub sdk_app_id: u64,
    /// `ok` or `failed`.
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// Which request or queue: a frame type (`get_user_status`, ...), `rest`, `session`, `webhook`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `ok`, `failed` (after every retry) or `dropped` (queue full).
    pub result: &'static str,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    pub sessions_online: Family<AppLabel, Gauge>,
    pub logins: Family<LoginLabel, Counter>,
    pub notifications_sent: Counter,
    pub queue_drops: Family<KindLabel, Counter>,
    pub request_seconds: Family<KindLabel, Histogram>,
    pub store_errors: Counter,
    pub webhooks: Family<ResultLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("imsdk");
        let sessions_online = Family::<AppLabel, Gauge>::default();
        let logins = Family::<LoginLabel, Counter>::default();
        let notifications_sent = Counter::default();
        let queue_drops = Family::<KindLabel, Counter>::default();
        // 50 µs to ~3 s.
        let request_seconds = Family::<KindLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.00005, 3.0, 11,
            ))
        });
        let store_errors = Counter::default();
        let webhooks = Family::<ResultLabel, Counter>::default();
        registry.register(
            "sessions_online",
            "WebSocket sessions logged in now",
            sessions_online.clone(),
        );
        registry.register("logins", "Login attempts", logins.clone());
        registry.register(
            "notifications_sent",
            "Pushed frames written to sessions",
            notifications_sent.clone(),
        );
        registry.register(
            "queue_drops",
            "Sessions cut off as slow consumers (kind=session) and webhook events dropped on a full queue (kind=webhook)",
            queue_drops.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request, by frame type or rest",
            request_seconds.clone(),
        );
        registry.register(
            "redis_errors",
            "Requests answered 6012 because the shared store (Redis) failed",
            store_errors.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "State-change webhook events by outcome",
            webhooks.clone(),
        );
        Metrics {
            registry,
            sessions_online,
            logins,
            notifications_sent,
            queue_drops,
            request_seconds,
            store_errors,
            webhooks,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn observe(&self, kind: &'static str, took: Duration) {
        self.request_seconds
            .get_or_create(&KindLabel { kind })
            .observe(took.as_secs_f64());
    }

    pub fn drop_counted(&self, kind: &'static str) {
        self.queue_drops.get_or_create(&KindLabel { kind }).inc();
    }

    pub fn login(&self, sdk_app_id: u64, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.logins
            .get_or_create(&LoginLabel { sdk_app_id, result })
            .inc();
        if ok {
            self.online(sdk_app_id, 1);
        }
    }

    pub fn online(&self, sdk_app_id: u64, delta: i64) {
        self.sessions_online
            .get_or_create(&AppLabel { sdk_app_id })
            .inc_by(delta);
    }

    /// Counts an answer code: 6012 is a store (Redis) failure.
    pub fn answered(&self, code: i32) {
        if code == imsdk_protocol::code::STORE_UNAVAILABLE {
            self.store_errors.inc();
        }
    }
}
