//! "Send test event": one `State.StateChange` request (a Login of the admin identifier from the
//! console) to the app's callback URL now. The console learns only the HTTP status, the time taken
//! and whether the answer was Tencent's `{"ActionStatus":"OK","ErrorCode":0}`: never the answer's
//! body nor why a connection failed, so that the URL cannot be used to read internal services or
//! map their ports (callback URLs on private networks are normal and stay allowed).

use super::auth::SignedIn;
use super::{ApiError, ApiResult};
use crate::ops::webhook::{self, Action, StateEvent, Target};
use serde_json::json;
use std::time::Duration;

pub async fn test_event(SignedIn(app): SignedIn) -> ApiResult {
    let cfg = app.cfg();
    let target = Target::of(&cfg).ok_or_else(|| ApiError::bad("no callback URL set"))?;
    let event = StateEvent {
        sdk_app_id: cfg.sdk_app_id,
        user_id: cfg.admin.clone(),
        platform: "Console".into(),
        client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
        action: Action::Login,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| ApiError::bad(e.to_string()))?;
    let started = std::time::Instant::now();
    let sent = client
        .post(&target.url)
        .query(&webhook::query(&target, &event, now.as_secs()))
        .json(&webhook::body(&event, now.as_millis()))
        .send()
        .await;
    let Ok(sent) = sent else {
        return Err(ApiError::bad(format!(
            "no HTTP answer from the callback URL ({} ms)",
            started.elapsed().as_millis()
        )));
    };
    let status = sent.status();
    // At most 4 KiB are read: enough for Tencent's answer, never shown.
    let mut body = Vec::new();
    let mut sent = sent;
    while let Ok(Some(chunk)) = sent.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 4096 {
            break;
        }
    }
    let ms = started.elapsed().as_millis() as u64;
    let tencent_ok = serde_json::from_slice::<serde_json::Value>(&body)
        .is_ok_and(|v| v["ActionStatus"] == "OK" && v["ErrorCode"] == 0);
    Ok(super::json(
        json!({"status": status.as_u16(), "ms": ms, "tencent_ok": tencent_ok}),
    ))
}
