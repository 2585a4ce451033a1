//! Console sign-in: the app's admin identifier with an admin UserSig or the app's secret key gives
//! a random session token (an HttpOnly cookie, or `Authorization: Bearer`) that expires.

use super::{parse, ApiError, ApiResult, Console};
use crate::config::AppConfig;
use crate::store::App;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use dashmap::DashMap;
use serde::Deserialize;
use serde_json::json;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const COOKIE_NAME: &str = "imsdk_console";

/// Signed-in sessions: token -> (app, expiry).
pub struct Sessions {
    tokens: DashMap<String, (u64, Instant)>,
    ttl: Duration,
}

impl Sessions {
    pub fn new(ttl_s: u64) -> Sessions {
        Sessions {
            tokens: DashMap::new(),
            ttl: Duration::from_secs(ttl_s),
        }
    }

    fn open(&self, sdk_app_id: u64) -> std::io::Result<String> {
        let now = Instant::now();
        self.tokens.retain(|_, (_, expiry)| *expiry > now);
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.tokens
            .insert(token.clone(), (sdk_app_id, now + self.ttl));
        Ok(token)
    }

    /// The app of a live session.
    fn app_of(&self, token: &str) -> Option<u64> {
        let entry = self.tokens.get(token)?;
        (entry.1 > Instant::now()).then_some(entry.0)
    }
}

/// The token of a request: the bearer header, else the cookie.
fn token(headers: &HeaderMap) -> Option<&str> {
    if let Some(bearer) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim());
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// True when the request is authenticated by the session cookie (not a bearer token): a browser
/// attaches it by itself, so its origin matters (`super::same_origin`).
pub fn by_cookie(headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    !bearer && headers.contains_key(COOKIE)
}

/// The signed-in app of a request; 401 without a live session.
pub struct SignedIn(pub std::sync::Arc<App>);

impl FromRequestParts<Arc<Console>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        token(&parts.headers)
            .and_then(|t| console.sessions.app_of(t))
            .and_then(|id| console.shared.store.app(id))
            .map(|app| SignedIn(app.clone()))
            .ok_or(ApiError(
                StatusCode::UNAUTHORIZED,
                "sign in first (or the session expired)".into(),
            ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    sdk_app_id: u64,
    admin: String,
    #[serde(default)]
    user_sig: Option<String>,
    #[serde(default)]
    secret_key: Option<String>,
}

/// Compares in time independent of where the first difference is.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Sign-in. Failures count in the same back-off as failed logins (`[server] login_failures_*`):
/// past the limit, 429 until the window slides.
pub async fn login(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> ApiResult {
    let req: Login = parse(&body)?;
    let guard = &console.shared.guard;
    if guard.login_blocked(peer.ip(), req.sdk_app_id, &req.admin) {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed sign-ins: wait and retry".into(),
        ));
    }
    let checked = check(&console, &req);
    if checked.is_err() {
        guard.login_failed(peer.ip(), req.sdk_app_id, &req.admin);
    }
    let cfg = checked?;
    guard.login_succeeded(cfg.sdk_app_id, &cfg.admin);
    let token = console.sessions.open(cfg.sdk_app_id).map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("no session token: {e}"),
        )
    })?;
    let cookie = format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={}",
        console.sessions.ttl.as_secs()
    );
    Ok((
        [(SET_COOKIE, cookie)],
        super::json(json!({"token": token, "sdk_app_id": cfg.sdk_app_id, "admin": cfg.admin})),
    )
        .into_response())
}

/// The app's settings if the credentials are its admin's.
fn check(console: &Console, req: &Login) -> Result<Arc<AppConfig>, ApiError> {
    let denied = |why: &str| ApiError(StatusCode::UNAUTHORIZED, why.to_owned());
    let app = console
        .shared
        .store
        .app(req.sdk_app_id)
        .ok_or_else(|| denied("unknown SDKAppID"))?;
    let cfg = app.cfg();
    if req.admin != cfg.admin {
        return Err(denied("not the app's admin identifier"));
    }
    match (&req.user_sig, &req.secret_key) {
        (Some(sig), _) if !sig.is_empty() => imsdk_usersig::verify(
            sig,
            cfg.sdk_app_id,
            &cfg.secret_key,
            &req.admin,
            crate::store::unix_now(),
        )
        .map(|_| ())
        .map_err(|e| denied(&format!("UserSig refused ({}): {e}", e.code())))?,
        (_, Some(key)) if same_secret(key, &cfg.secret_key) => {}
        (_, Some(_)) => return Err(denied("wrong secret key")),
        _ => return Err(ApiError::bad("give user_sig or secret_key")),
    }
    Ok(cfg)
}

pub async fn logout(State(console): State<Arc<Console>>, headers: HeaderMap) -> ApiResult {
    if let Some(t) = token(&headers) {
        console.sessions.tokens.remove(t);
    }
    let cookie = format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0");
    Ok(([(SET_COOKIE, cookie)], super::json(json!({}))).into_response())
}
