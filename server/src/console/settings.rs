//! The app's settings as the console shows and changes them. A change takes effect at once and is
//! kept by the store (the embedded store's database, or Redis for every node of a cluster), read
//! back at start over the `[[app]]` values (docs/STORAGE.md).

use super::auth::SignedIn;
use super::{parse, ApiError, ApiResult, Console};
use crate::config::Settings;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use std::sync::Arc;

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

/// PUT: changes some settings; they take effect at once and are stored.
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
    app.save_settings().await.map_err(|e| {
        ApiError(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("applied, but not stored (code {})", e.code()),
        )
    })?;
    Ok(super::json(serde_json::json!({ "settings": shown })).into_response())
}
