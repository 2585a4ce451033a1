//! The web console at `/console` (`docs/CONSOLE.md`): a single-page app embedded in the binary and
//! its JSON API at `/console/api/*`. Every API route but sign-in needs a console session.

mod accounts;
mod assets;
mod auth;
mod callback;
mod live;
pub mod settings;

use crate::transport::Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use std::sync::Arc;

/// The console's state: the server's and the signed-in sessions.
pub struct Console {
    shared: Arc<Shared>,
    sessions: auth::Sessions,
    /// Serialises writes of the state file.
    state_write: tokio::sync::Mutex<()>,
}

/// The console's routes, for any outer router's state.
pub fn router<S: Clone + Send + Sync + 'static>(shared: Arc<Shared>) -> Router<S> {
    let console = Arc::new(Console {
        sessions: auth::Sessions::new(shared.settings.console_session_s),
        shared,
        state_write: tokio::sync::Mutex::new(()),
    });
    Router::new()
        .route("/console", get(assets::serve))
        .route("/console/", get(assets::serve))
        .route("/console/assets/{file}", get(assets::serve))
        .route("/console/api/login", post(auth::login))
        .route("/console/api/logout", post(auth::logout))
        .route(
            "/console/api/settings",
            get(settings::show).put(settings::change),
        )
        .route(
            "/console/api/accounts",
            get(accounts::list).post(accounts::import),
        )
        .route("/console/api/accounts/{id}", get(accounts::detail))
        .route("/console/api/friends", post(accounts::friends))
        .route("/console/api/query", post(accounts::query))
        .route("/console/api/live", get(live::stream))
        .route("/console/api/callback/test", post(callback::test_event))
        .with_state(console)
}

/// An API failure: HTTP status and a message for the operator.
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn bad(msg: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }

    /// A store call failed with a Tencent code.
    fn code(code: i32) -> ApiError {
        ApiError::bad(format!("{code}: {}", crate::session::describe(code)))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, json(json!({ "error": self.1 }))).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// A JSON body, or 400 with serde's reason (unknown field, wrong type).
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("bad request: {e}")))
}

/// A JSON answer (axum's `json` feature is not enabled in this crate).
fn json(value: serde_json::Value) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
