//! Console sign-in: the app's admin identifier with an admin UserSig or the app's secret key gives
//! a random session token (an HttpOnly cookie, or `Authorization: Bearer`) that expires.

use super::{parse, ApiError, ApiResult, Console};
use crate::config::AppConfig;
use crate::guard::Verdict;
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
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const COOKIE_NAME: &str = "imsdk_console";

/// Signed-in sessions: token -> (app, expiry).
pub struct Sessions {
    tokens: DashMap<String, (u64, Instant)>,
    /// Live streams open per token (at most [`STREAMS_PER_SESSION`]).
    streams: DashMap<String, usize>,
    ttl: Duration,
}

/// Most live streams one console session may hold open (a few tabs).
pub const STREAMS_PER_SESSION: usize = 4;

/// One open live stream of a session; dropping it frees the place.
pub struct StreamSlot {
    sessions: Arc<Console>,
    token: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let streams = &self.sessions.sessions.streams;
        if let Some(mut n) = streams.get_mut(&self.token) {
            *n = n.saturating_sub(1);
        }
        streams.remove_if(&self.token, |_, n| *n == 0);
    }
}

impl StreamSlot {
    /// A place for one more stream of `token`'s session, if it has fewer than the maximum.
    pub fn take(console: &Arc<Console>, token: &str) -> Option<StreamSlot> {
        let mut n = console
            .sessions
            .streams
            .entry(token.to_owned())
            .or_insert(0);
        if *n >= STREAMS_PER_SESSION {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            sessions: Arc::clone(console),
            token: token.to_owned(),
        })
    }

    /// Whether the session is still signed in (not signed out, not expired).
    pub fn live(&self) -> bool {
        self.sessions.sessions.app_of(&self.token).is_some()
    }
}

impl Sessions {
    pub fn new(ttl_s: u64) -> Sessions {
        Sessions {
            tokens: DashMap::new(),
            streams: DashMap::new(),
            ttl: Duration::from_secs(ttl_s),
        }
    }

    fn open(&self, sdk_app_id: u64) -> String {
        let now = Instant::now();
        self.tokens.retain(|_, (_, expiry)| *expiry > now);
        let token = crate::state::random_token();
        self.tokens
            .insert(token.clone(), (sdk_app_id, now + self.ttl));
        token
    }

    /// The app of a live session.
    pub fn app_of(&self, token: &str) -> Option<u64> {
        let entry = self.tokens.get(token)?;
        (entry.1 > Instant::now()).then_some(entry.0)
    }
}

/// The token of a request: the bearer header, else the cookie.
pub fn token(headers: &HeaderMap) -> Option<&str> {
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
    bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// Sign-in. Failures count per address (past `[server] login_failures_per_address`, or
/// `login_failures_per_account` for this admin from this address: 429 until the window slides)
/// and per account from anywhere (past the limit each attempt waits a second first: slowed,
/// never locked out). Every refusal has the same answer; the log says why.
pub async fn login(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> ApiResult {
    let req: Login = parse(&body)?;
    let refused = || {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "sign-in refused: check the SDKAppID, the admin identifier and the key or UserSig"
                .into(),
        )
    };
    if req.user_sig.as_deref().unwrap_or("").is_empty() && req.secret_key.is_none() {
        return Err(ApiError::bad("give user_sig or secret_key"));
    }
    // Bounded before it is counted anywhere (the failure map keys on it).
    if !imsdk_protocol::valid_user_id(&req.admin) {
        tracing::info!("console sign-in refused: not an identifier");
        return Err(refused());
    }
    let guard = &console.shared.guard;
    if guard.login_verdict(peer.ip(), req.sdk_app_id, &req.admin) == Verdict::Blocked {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed sign-ins from this address: wait and retry".into(),
        ));
    }
    let wait = guard.slow_down(req.sdk_app_id, &req.admin);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let cfg = match check(&console, &req) {
        Ok(cfg) => cfg,
        Err(why) => {
            guard.login_failed(peer.ip(), req.sdk_app_id, &req.admin, true);
            tracing::info!(app = req.sdk_app_id, "console sign-in refused: {why}");
            return Err(refused());
        }
    };
    guard.login_succeeded(peer.ip(), cfg.sdk_app_id, &cfg.admin);
    let token = console.sessions.open(cfg.sdk_app_id);
    let secure = if console.shared.settings.tls_cert.is_some() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={}{secure}",
        console.sessions.ttl.as_secs()
    );
    Ok((
        [(SET_COOKIE, cookie)],
        super::json(json!({"token": token, "sdk_app_id": cfg.sdk_app_id, "admin": cfg.admin})),
    )
        .into_response())
}

/// The app's settings if the credentials are its admin's; else why not (for the log only).
fn check(console: &Console, req: &Login) -> Result<Arc<AppConfig>, String> {
    let app = console
        .shared
        .store
        .app(req.sdk_app_id)
        .ok_or("unknown SDKAppID")?;
    let cfg = app.cfg();
    if req.admin != cfg.admin {
        return Err("not the app's admin identifier".into());
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
        .map_err(|e| format!("UserSig refused ({}): {e}", e.code()))?,
        (_, Some(key)) if same_secret(key, &cfg.secret_key) => {}
        _ => return Err("wrong secret key".into()),
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
