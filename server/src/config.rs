//! The configuration: the server's settings (`[server]`) and its apps with their settings (`[[app]]`
//! tables, as Tencent's console would hold them), read from a TOML file or the embedded development
//! default; [`Settings`] is the part of an app that the web console changes at runtime. The bottom
//! layer of the server: it imports nothing of the server (docs/ARCHITECTURE.md).

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Whole server configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Transport settings shared by every app (`[server]` table, optional).
    #[serde(default)]
    pub server: ServerSettings,
    /// One or more apps (`[[app]]` tables).
    #[serde(rename = "app")]
    pub apps: Vec<AppConfig>,
}

/// Transport limits (`[server]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Largest accepted WebSocket frame/message; bigger ones close the connection with 1009.
    pub max_frame_bytes: usize,
    /// Most pushes pending for one session, a backstop (closed with 4003 beyond it): status changes
    /// are coalesced per user, so a session holds at most one per followed user.
    pub outbound_queue: usize,
    /// Most bytes pending for one session (statuses counted as if not shared); beyond it the
    /// session is closed with 4003.
    pub outbound_bytes: usize,
    /// A session whose socket takes no write for this long (the client stopped reading) is closed
    /// with 4003 and declared OFFLINE. Status traffic that merely outruns a client never cuts it:
    /// it is coalesced.
    pub slow_consumer_timeout_ms: u64,
    /// Seconds a new connection has to send its login frame.
    pub login_timeout_s: u64,
    /// Most WebSocket sessions at once; further upgrades get HTTP 503.
    pub max_connections: usize,
    /// Most TCP connections open at once, of any kind (counted when accepted; further ones get a
    /// short 503 and are closed). 0: the file-descriptor limit less 128 for the listener, Redis,
    /// webhooks, the database and logs.
    pub max_open_connections: usize,
    /// Seconds a connection has to send a whole request head (also closes connections that send
    /// nothing, half a request, or stay idle between requests).
    pub header_read_timeout_s: u64,
    /// Seconds an HTTP request (REST, console API) may take, reading its body included; slower
    /// ones are answered 408. Not for WebSocket sessions and the console's live stream.
    pub request_timeout_s: u64,
    /// SO_SNDBUF of each accepted socket, bounding what the kernel buffers for a client that stops
    /// reading (Linux doubles the value); 0 keeps the kernel's autotuning (up to megabytes).
    pub socket_send_buffer_bytes: usize,
    /// Most TCP connections (HTTP or WebSocket) from one source address, counted when accepted;
    /// further ones get a short 503 and are closed. 0: no cap.
    pub max_connections_per_address: usize,
    /// Failed logins (UserSig refused) of one account within `login_failure_window_s` after
    /// which its logins get 70050 until the window slides; 0: no limit.
    pub login_failures_per_account: usize,
    /// The same, per source address (any accounts).
    pub login_failures_per_address: usize,
    pub login_failure_window_s: u64,
    /// `redis://HOST:PORT[/DB]`: share presence with the other nodes through this Redis (cluster
    /// mode, see `docs/CLUSTER.md`). None: the embedded in-memory store.
    pub redis: Option<String>,
    /// Prefix of every Redis key and channel of this cluster.
    pub redis_prefix: String,
    /// Cluster mode: the sessions of a node that died are declared OFFLINE within this bound.
    pub node_timeout_ms: u64,
    /// Directory of the embedded store's database (`imsdk.db`, docs/STORAGE.md): accounts,
    /// friends, subscriptions and console settings survive restarts. The binary defaults it to
    /// `./imsdk-data`; None or "" (benchmarks, throwaway runs): nothing is written, everything is
    /// lost at exit.
    /// Ignored in cluster mode (`redis`), where Redis holds that data.
    pub data_dir: Option<String>,
    /// A settings file of an older version (console changes as JSON): read once at start into the
    /// database when it holds no settings for the app yet (docs/STORAGE.md).
    pub state_file: Option<String>,
    /// Seconds a console sign-in lasts.
    pub console_session_s: u64,
    /// PEM certificate chain and private key: serve `wss://` and `https://` (both or neither).
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    /// When set, `/metrics` answers only `Authorization: Bearer <metrics_token>` (401 otherwise).
    pub metrics_token: Option<String>,
    /// When set (`127.0.0.1:9100`), `/metrics`, `/healthz` and `/readyz` are served on this
    /// address of their own, and the main port no longer serves `/metrics`.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// State-change webhook events waiting for delivery; further ones are dropped and counted.
    pub webhook_queue: usize,
    /// Timeout of one webhook request, and retries after a failed one.
    pub webhook_timeout_ms: u64,
    pub webhook_retries: u32,
    /// Graceful shutdown: longest wait for pending webhook events.
    pub webhook_flush_ms: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_frame_bytes: 64 * 1024,
            outbound_queue: 4096,
            outbound_bytes: 1024 * 1024,
            slow_consumer_timeout_ms: 5_000,
            login_timeout_s: 10,
            max_connections: 200_000,
            max_open_connections: 0,
            header_read_timeout_s: 10,
            request_timeout_s: 10,
            socket_send_buffer_bytes: 64 * 1024,
            max_connections_per_address: 0,
            login_failures_per_account: 10,
            login_failures_per_address: 100,
            login_failure_window_s: 60,
            redis: None,
            redis_prefix: "imsdk:".into(),
            node_timeout_ms: 10_000,
            data_dir: None,
            state_file: None,
            console_session_s: 8 * 3600,
            tls_cert: None,
            tls_key: None,
            metrics_token: None,
            metrics_listen: None,
            webhook_queue: 10_000,
            webhook_timeout_ms: 2_000,
            webhook_retries: 2,
            webhook_flush_ms: 3_000,
        }
    }
}

/// The app's plan: only `ultimate` may query or subscribe to other users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Basic,
    Ultimate,
}

/// What a second login of the same account does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginPolicy {
    /// Every session stays.
    Multi,
    /// A second login on the same platform kicks the first (6208).
    OnePerPlatform,
}

/// One app, as configured in Tencent's console.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub sdk_app_id: u64,
    pub secret_key: String,
    /// The admin identifier for the REST API.
    pub admin: String,
    pub plan: Plan,
    pub user_status_enabled: bool,
    pub friend_status_notify: bool,
    #[serde(default = "default_heartbeat_timeout_s")]
    pub heartbeat_timeout_s: u64,
    #[serde(default = "default_login_policy")]
    pub login_policy: LoginPolicy,
    /// Accounts imported at start.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Overrides of the user-status limits.
    #[serde(default)]
    pub limits: Limits,
    /// Tencent's state-change callback: every Login, Logout, Disconnect and custom-status change
    /// is POSTed here (`docs/OPERATIONS.md`).
    #[serde(default)]
    pub callback_url: Option<String>,
    /// When set, callbacks carry `RequestTime` and `Sign` (hex SHA-256 of token + RequestTime).
    #[serde(default)]
    pub callback_token: Option<String>,
    /// A login with a valid UserSig of an account not imported imports it first (instead of
    /// 70107). For local development: the binary turns it on for the embedded dev app only (no
    /// `--config`); off unless a config file says so.
    #[serde(default)]
    pub auto_import_accounts: bool,
}

fn default_heartbeat_timeout_s() -> u64 {
    400
}
fn default_login_policy() -> LoginPolicy {
    LoginPolicy::Multi
}

/// The user-status limits of an app (`[app.limits]`); every field optional, Tencent's values by default.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub custom_status_max_bytes: usize,
    pub get_max_ids: usize,
    pub subscribe_max_ids: usize,
    pub subscription_max: usize,
    /// Calls allowed per window, for each of get (others), subscribe and unsubscribe, per account.
    pub rate_calls: usize,
    pub rate_window_s: u64,
    /// Subscription lists are dropped this long after their owner went OFFLINE or UNLOGINED.
    pub subscription_retention_s: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            custom_status_max_bytes: imsdk_protocol::MAX_CUSTOM_STATUS_BYTES,
            get_max_ids: 500,
            subscribe_max_ids: 100,
            subscription_max: 200,
            rate_calls: 20,
            rate_window_s: 5,
            subscription_retention_s: 7 * 86400,
        }
    }
}

impl Limits {
    pub fn rate_window(&self) -> Duration {
        Duration::from_secs(self.rate_window_s)
    }
}

/// A config that could not be used.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The embedded app for local development (its secret key is public: never use it in production).
    pub fn dev_default() -> Config {
        Config {
            server: ServerSettings::default(),
            apps: vec![AppConfig {
                sdk_app_id: 1_400_000_001,
                secret_key: "imsdk-dev-secret-key".into(),
                admin: "administrator".into(),
                plan: Plan::Ultimate,
                user_status_enabled: true,
                friend_status_notify: true,
                heartbeat_timeout_s: 400,
                login_policy: LoginPolicy::Multi,
                accounts: Vec::new(),
                limits: Limits::default(),
                callback_url: None,
                callback_token: None,
                auto_import_accounts: false,
            }],
        }
    }

    /// Parses and checks a TOML config.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError(format!("bad config: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and checks a TOML config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config {}: {e}", path.display())))?;
        let mut config = Config::from_toml(&text)
            .map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))?;
        if config.server.state_file.is_none() {
            config.server.state_file = Some(format!("{}.state.json", path.display()));
        }
        Ok(config)
    }

    /// Checks the values serde cannot: ids, non-zero limits, unique apps.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.apps.is_empty() {
            return Err(ConfigError("no [[app]] table".into()));
        }
        if self.server.max_frame_bytes < 1024
            || self.server.outbound_queue == 0
            || self.server.outbound_bytes == 0
            || self.server.slow_consumer_timeout_ms == 0
            || self.server.login_timeout_s == 0
        {
            return Err(ConfigError(
                "[server]: max_frame_bytes >= 1024; outbound_queue, outbound_bytes, \
                 slow_consumer_timeout_ms and login_timeout_s > 0"
                    .into(),
            ));
        }
        if self.server.login_failure_window_s == 0 {
            return Err(ConfigError("[server]: login_failure_window_s > 0".into()));
        }
        if self.server.header_read_timeout_s == 0 || self.server.request_timeout_s == 0 {
            return Err(ConfigError(
                "[server]: header_read_timeout_s and request_timeout_s > 0".into(),
            ));
        }
        if self.server.console_session_s == 0 {
            return Err(ConfigError("[server]: console_session_s > 0".into()));
        }
        if self.server.tls_cert.is_some() != self.server.tls_key.is_some() {
            return Err(ConfigError(
                "[server]: tls_cert and tls_key go together".into(),
            ));
        }
        if self.server.node_timeout_ms < 300 {
            return Err(ConfigError("[server]: node_timeout_ms >= 300".into()));
        }
        for (i, app) in self.apps.iter().enumerate() {
            let err = |what: &str| ConfigError(format!("app {}: {what}", app.sdk_app_id));
            if self.apps[..i]
                .iter()
                .any(|a| a.sdk_app_id == app.sdk_app_id)
            {
                return Err(err("sdk_app_id appears twice"));
            }
            if app.secret_key.is_empty() {
                return Err(err("secret_key is empty"));
            }
            if !imsdk_protocol::valid_user_id(&app.admin) {
                return Err(err("admin is not a valid identifier"));
            }
            if let Some(bad) = app
                .accounts
                .iter()
                .find(|a| !imsdk_protocol::valid_user_id(a))
            {
                return Err(err(&format!("account {bad:?} is not a valid identifier")));
            }
            if let Some(url) = app.callback_url.as_ref().filter(|u| !u.is_empty()) {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err("callback_url must be an http:// or https:// URL"));
                }
            }
            if app.heartbeat_timeout_s == 0 {
                return Err(err("heartbeat_timeout_s must be > 0"));
            }
            let l = &app.limits;
            if [
                l.get_max_ids,
                l.subscribe_max_ids,
                l.subscription_max,
                l.rate_calls,
            ]
            .contains(&0)
                || l.rate_window_s == 0
            {
                return Err(err("limits must be > 0"));
            }
        }
        Ok(())
    }
}

/// The changeable settings; in a change every field is optional (absent: unchanged; `limits`, when
/// given, is whole: its absent fields take Tencent's defaults).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_status_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friend_status_notify: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_timeout_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_policy: Option<LoginPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// The state-change webhook (`docs/OPERATIONS.md`); `""` for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

impl Settings {
    pub fn of(cfg: &AppConfig) -> Settings {
        Settings {
            plan: Some(cfg.plan),
            user_status_enabled: Some(cfg.user_status_enabled),
            friend_status_notify: Some(cfg.friend_status_notify),
            heartbeat_timeout_s: Some(cfg.heartbeat_timeout_s),
            login_policy: Some(cfg.login_policy),
            limits: Some(cfg.limits.clone()),
            callback_url: Some(cfg.callback_url.clone().unwrap_or_default()),
        }
    }

    /// `cfg` with these settings over it, checked as a config file would be.
    pub fn apply(self, cfg: &AppConfig) -> Result<AppConfig, String> {
        let mut new = cfg.clone();
        new.plan = self.plan.unwrap_or(new.plan);
        new.user_status_enabled = self.user_status_enabled.unwrap_or(new.user_status_enabled);
        new.friend_status_notify = self
            .friend_status_notify
            .unwrap_or(new.friend_status_notify);
        new.heartbeat_timeout_s = self.heartbeat_timeout_s.unwrap_or(new.heartbeat_timeout_s);
        new.login_policy = self.login_policy.unwrap_or(new.login_policy);
        new.limits = self.limits.unwrap_or(new.limits);
        if let Some(url) = self.callback_url {
            new.callback_url = Some(url).filter(|u| !u.is_empty());
        }
        let check = Config {
            server: ServerSettings::default(),
            apps: vec![new],
        };
        check.validate().map_err(|e| e.0)?;
        Ok(check.apps.into_iter().next().unwrap_or_else(|| cfg.clone()))
    }
}

/// The settings file of versions before the database (`{"apps": {"<sdk_app_id>": Settings}}`),
/// read once at start by the embedded store (docs/STORAGE.md). Absent file: no settings.
pub fn read_state_file(path: &str) -> Result<std::collections::BTreeMap<String, Settings>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StateFile {
        apps: std::collections::BTreeMap<String, Settings>,
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(format!("cannot read state file {path}: {e}")),
    };
    let state: StateFile =
        serde_json::from_str(&text).map_err(|e| format!("state file {path}: {e}"))?;
    Ok(state.apps)
}
