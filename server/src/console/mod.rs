//! The web console at `/console` (`docs/CONSOLE.md`): a single-page app embedded in the binary and
//! its JSON API at `/console/api/*`. Every API route but sign-in needs a console session.

mod accounts;
mod assets;
mod auth;
mod callback;
mod live;
pub mod settings;

use crate::state::ServerState;
use crate::store::StatusError;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The console's state: the server's and the signed-in sessions.
pub struct Console {
    shared: Arc<ServerState>,
    sessions: auth::Sessions,
    /// Serialises writes of the state file.
    state_write: tokio::sync::Mutex<()>,
}

/// The console's routes, for any outer router's state.
pub fn router<S: Clone + Send + Sync + 'static>(shared: Arc<ServerState>) -> Router<S> {
    let console = Arc::new(Console {
        sessions: auth::Sessions::new(shared.settings.console_session_s),
        shared,
        state_write: tokio::sync::Mutex::new(()),
    });
    let deadline = Duration::from_secs(console.shared.settings.request_timeout_s);
    let tls = console.shared.settings.tls_cert.is_some();
    // Calls answered at once, each bounded in time and size, and refused from other origins.
    let api = Router::new()
        .route(
            "/console/api/login",
            post(auth::login).layer(DefaultBodyLimit::max(LOGIN_BODY_MAX)),
        )
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
        .route("/console/api/callback/test", post(callback::test_event))
        .layer(DefaultBodyLimit::max(API_BODY_MAX))
        .layer(axum::middleware::from_fn(move |req, next| {
            same_origin(tls, req, next)
        }))
        .layer(axum::middleware::from_fn(move |req, next| {
            crate::guard::within(deadline, req, next)
        }));
    Router::new()
        .route("/console", get(assets::serve))
        .route("/console/", get(assets::serve))
        .route("/console/assets/{file}", get(assets::serve))
        .merge(api)
        // A stream: no deadline; it checks its session on every event (live.rs).
        .route("/console/api/live", get(live::stream))
        .with_state(console)
}

/// Sign-in bodies: a few identifiers and a key or UserSig.
const LOGIN_BODY_MAX: usize = 4 * 1024;
/// Other API bodies (the largest: 1,000 ids to import).
const API_BODY_MAX: usize = 64 * 1024;

/// Cross-site request forgery: a state-changing call with a body must be JSON (a cross-origin
/// JSON request needs a CORS preflight, which this server never grants), and one authenticated
/// by the cookie must come from the console itself (`Origin` of this host, or `Sec-Fetch-Site:
/// same-origin`): `SameSite=Strict` does not stop other ports or sibling subdomains of the site.
/// Scripts sending `Authorization: Bearer` are not browsers and need neither.
async fn same_origin(
    tls: bool,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::{header, Method};
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let has_body = text(header::CONTENT_LENGTH.as_str()).is_some_and(|l| l != "0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    let json = text(header::CONTENT_TYPE.as_str())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if has_body && !json {
        return ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json".into(),
        )
        .into_response();
    }
    if auth::by_cookie(headers) {
        let scheme = if tls { "https" } else { "http" };
        let from_here = match (text(header::ORIGIN.as_str()), text(header::HOST.as_str())) {
            (Some(origin), Some(host)) => origin == format!("{scheme}://{host}"),
            _ => text("sec-fetch-site") == Some("same-origin"),
        };
        if !from_here {
            return ApiError(
                StatusCode::FORBIDDEN,
                "cross-origin request refused: use the console page or a bearer token".into(),
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// An API failure: HTTP status and a message for the operator.
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn bad(msg: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }

    /// A store call failed: `"<code>: <reason>"`.
    fn status(e: StatusError) -> ApiError {
        ApiError::bad(format!("{}: {e}", e.code()))
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
