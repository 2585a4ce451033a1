//! The app's settings as the console shows and changes them, and the state file that keeps the
//! changes across restarts (`[server] state_file`: `{"apps": {"<sdk_app_id>": Settings}}`, read at
//! start over the `[[app]]` values).

use super::auth::SignedIn;
use super::{parse, ApiError, ApiResult, Console};
use crate::config::{AppConfig, Config, Limits, LoginPolicy, Plan, ServerSettings};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

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

/// The state file's content.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    apps: BTreeMap<String, Settings>,
}

/// Applies the state file (if configured and present) over the config's apps.
pub fn load_state(mut config: Config) -> Result<Config, String> {
    let Some(path) = config.server.state_file.clone() else {
        return Ok(config);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(config),
        Err(e) => return Err(format!("cannot read state file {path}: {e}")),
    };
    let state: StateFile =
        serde_json::from_str(&text).map_err(|e| format!("state file {path}: {e}"))?;
    for app in &mut config.apps {
        if let Some(saved) = state.apps.get(&app.sdk_app_id.to_string()) {
            *app = saved
                .clone()
                .apply(app)
                .map_err(|e| format!("state file {path}: {e}"))?;
        }
    }
    Ok(config)
}

/// GET: the settings, the app's id and admin; never the secret key.
pub async fn show(SignedIn(app): SignedIn) -> ApiResult {
    let cfg = app.cfg();
    Ok(super::json(serde_json::json!({
        "sdk_app_id": cfg.sdk_app_id,
        "admin": cfg.admin,
        "settings": Settings::of(&cfg),
    }))
    .into_response())
}

/// PUT: changes some settings; they take effect at once and are written to the state file.
pub async fn change(
    State(console): State<Arc<Console>>,
    SignedIn(app): SignedIn,
    body: Bytes,
) -> ApiResult {
    let change: Settings = parse(&body)?;
    let _write = console.state_write.lock().await;
    let new = change.apply(&app.cfg()).map_err(ApiError::bad)?;
    let shown = Settings::of(&new);
    app.live().set(new);
    // Cluster mode: every node applies it too.
    app.share_settings().await.map_err(ApiError::code)?;
    save_state(&console).await.map_err(|e| {
        ApiError(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("applied, but not saved: {e}"),
        )
    })?;
    Ok(super::json(serde_json::json!({ "settings": shown })).into_response())
}

/// Writes every app's settings to the state file (a temporary file renamed over it).
async fn save_state(console: &Console) -> Result<(), String> {
    let Some(path) = console.shared.settings.state_file.clone() else {
        return Ok(());
    };
    let state = StateFile {
        apps: console
            .shared
            .store
            .apps()
            .map(|app| {
                let cfg = app.cfg();
                (cfg.sdk_app_id.to_string(), Settings::of(&cfg))
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&state).map_err(|e| e.to_string())?;
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{tmp}: {e}"))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{path}: {e}"))
}
