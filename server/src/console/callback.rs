//! "Send test event": one `State.StateChange` request (a Login of the admin identifier from the
//! console) to the app's callback URL now, answered with what the receiver said.

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
    let sent = client
        .post(&target.url)
        .query(&webhook::query(&target, &event, now.as_secs()))
        .json(&webhook::body(&event, now.as_millis()))
        .send()
        .await
        .map_err(|e| ApiError::bad(format!("{}: {e}", target.url)))?;
    let status = sent.status();
    let answer = sent.text().await.unwrap_or_default();
    let answer: String = answer.chars().take(500).collect();
    if !status.is_success() {
        return Err(ApiError::bad(format!(
            "{}: HTTP {status}: {answer}",
            target.url
        )));
    }
    Ok(super::json(
        json!({"status": status.as_u16(), "answer": answer}),
    ))
}
