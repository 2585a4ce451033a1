//! Prometheus metrics of one server, rendered at `GET /metrics` (text format). A registry per
//! server (not a process-global recorder): several servers in one process keep their own figures.
//! The server's own metrics are `imsdk_*`; on Linux the standard `process_*` metrics of the
//! process are read from /proc at each scrape (`process` below).

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
pub struct BuildLabel {
    pub version: &'static str,
    pub commit: &'static str,
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
        Metrics::with_store(None)
    }

    /// With the embedded store's database: its commits, commit time, failed writes and size.
    pub fn with_store(db: Option<&crate::store::durable::Db>) -> Metrics {
        let mut root = Registry::default();
        if let Some(db) = db {
            root.register_collector(Box::new(store::StoreCollector {
                stats: std::sync::Arc::clone(&db.stats),
                path: db.path().to_owned(),
            }));
        }
        #[cfg(target_os = "linux")]
        root.register_collector(Box::new(process::ProcessCollector));
        let registry = root.sub_registry_with_prefix("imsdk");
        let build_info = Family::<BuildLabel, Gauge>::default();
        build_info
            .get_or_create(&BuildLabel {
                version: crate::build_info::VERSION,
                commit: crate::build_info::COMMIT,
            })
            .set(1);
        registry.register(
            "build_info",
            "Always 1: the version and git commit of this binary",
            build_info,
        );
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
            "Statuses pushed to sessions (each status of a coalesced frame counts)",
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
            registry: root,
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

/// The process metrics every Prometheus client library exports (same names and meaning, so
/// dashboards built for them work), read from /proc/self at each scrape: nothing runs between scrapes.
#[cfg(target_os = "linux")]
mod process {
    use prometheus_client::collector::Collector;
    use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
    use prometheus_client::metrics::counter::ConstCounter;
    use prometheus_client::metrics::gauge::ConstGauge;

    #[derive(Debug)]
    pub struct ProcessCollector;

    impl Collector for ProcessCollector {
        fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
            // A figure /proc does not give (a hardened kernel, a sandbox) is left out, not made up.
            let stat = Stat::read();
            if let Some(stat) = &stat {
                let cpu = ConstCounter::new(stat.cpu_seconds);
                cpu.encode(encoder.encode_descriptor(
                    "process_cpu_seconds",
                    "Total user and system CPU time spent in seconds",
                    None,
                    cpu.metric_type(),
                )?)?;
            }
            if let Some(rss) = resident_bytes() {
                let rss = ConstGauge::new(rss);
                rss.encode(encoder.encode_descriptor(
                    "process_resident_memory_bytes",
                    "Resident memory size in bytes",
                    None,
                    rss.metric_type(),
                )?)?;
            }
            if let Some(fds) = open_fds() {
                let fds = ConstGauge::new(fds);
                fds.encode(encoder.encode_descriptor(
                    "process_open_fds",
                    "Number of open file descriptors",
                    None,
                    fds.metric_type(),
                )?)?;
            }
            if let Some(start) = stat.and_then(|s| s.start_time_seconds) {
                let start = ConstGauge::new(start);
                start.encode(encoder.encode_descriptor(
                    "process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds",
                    None,
                    start.metric_type(),
                )?)?;
            }
            Ok(())
        }
    }

    /// What /proc/self/stat says (proc(5)).
    struct Stat {
        cpu_seconds: f64,
        start_time_seconds: Option<f64>,
    }

    impl Stat {
        fn read() -> Option<Stat> {
            let text = std::fs::read_to_string("/proc/self/stat").ok()?;
            // The command name (field 2) is in parentheses and may hold spaces: count after it.
            let after_name = &text[text.rfind(')')? + 1..];
            let fields: Vec<&str> = after_name.split_whitespace().collect();
            // Fields 14 and 15 (utime, stime) and 22 (starttime), in clock ticks; field 3 is
            // fields[0] here.
            let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
            let ticks = clock_ticks_per_second()?;
            let cpu_seconds = (field(14)? + field(15)?) / ticks;
            let start_time_seconds = field(22)
                .zip(boot_time_seconds())
                .map(|(start, boot)| boot + start / ticks);
            Some(Stat {
                cpu_seconds,
                start_time_seconds,
            })
        }
    }

    fn clock_ticks_per_second() -> Option<f64> {
        // SAFETY: sysconf only reads a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        (ticks > 0).then_some(ticks as f64)
    }

    /// `btime` of /proc/stat: when the system booted, in Unix seconds.
    fn boot_time_seconds() -> Option<f64> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()
    }

    /// `VmRSS` of /proc/self/status (in kB there).
    fn resident_bytes() -> Option<i64> {
        let text = std::fs::read_to_string("/proc/self/status").ok()?;
        let kb: i64 = text
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    }

    /// Entries of /proc/self/fd (the directory handle read_dir holds is one of them, as the
    /// client libraries count it too).
    fn open_fds() -> Option<i64> {
        Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as i64)
    }
}

/// The embedded store's figures, read at each scrape.
mod store {
    use crate::store::durable::DbStats;
    use prometheus_client::collector::Collector;
    use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
    use prometheus_client::metrics::counter::ConstCounter;
    use prometheus_client::metrics::gauge::ConstGauge;
    use std::path::PathBuf;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    #[derive(Debug)]
    pub struct StoreCollector {
        pub stats: Arc<DbStats>,
        pub path: PathBuf,
    }

    impl Collector for StoreCollector {
        fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
            let s = &self.stats;
            let counters = [
                (
                    "imsdk_store_commits",
                    "Transactions committed by the store's writer (each may group many calls)",
                    s.commits.load(Ordering::Relaxed) as f64,
                ),
                (
                    "imsdk_store_commit_seconds",
                    "Time spent committing, fsync included (divide by commits: write latency)",
                    s.commit_micros.load(Ordering::Relaxed) as f64 / 1e6,
                ),
                (
                    "imsdk_store_write_failures",
                    "Writes that failed (answered 6012) or soft writes dropped on a full queue",
                    s.failed.load(Ordering::Relaxed) as f64,
                ),
            ];
            for (name, help, value) in counters {
                let c = ConstCounter::new(value);
                c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)?;
            }
            let size: u64 = ["", "-wal"]
                .iter()
                .filter_map(|ext| {
                    let mut p = self.path.clone().into_os_string();
                    p.push(ext);
                    std::fs::metadata(p).ok().map(|m| m.len())
                })
                .sum();
            let g = ConstGauge::new(size as i64);
            g.encode(encoder.encode_descriptor(
                "imsdk_store_size_bytes",
                "Size of the database file and its write-ahead log",
                None,
                g.metric_type(),
            )?)?;
            Ok(())
        }
    }
}
