//! The admin REST API in Tencent's server-API form: `POST /v4/<service>/<command>?sdkappid=..&
//! identifier=<admin>&usersig=..&random=..&contenttype=json`, JSON in and out, every answer with
//! `ActionStatus`, `ErrorCode` and `ErrorInfo` (HTTP 200, as Tencent).

use crate::state::ServerState;
use crate::store::{App, StatusError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use imsdk_protocol::code;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// REST error codes (Tencent's server-API codes).
pub mod rest_code {
    /// The request body could not be read (too large, broken transfer).
    pub const HTTP_PARSE: i32 = 60002;
    /// The request body is not the expected JSON.
    pub const JSON_PARSE: i32 = 60003;
    /// `sdkappid` missing or unknown.
    pub const SDKAPPID_INVALID: i32 = 60006;
    /// `identifier` is not the app's admin.
    pub const ADMIN_REQUIRED: i32 = 60011;
    /// No such command.
    pub const UNKNOWN_COMMAND: i32 = 60020;
}

type Outcome = Result<Map<String, Value>, StatusError>;

pub async fn handle(
    State(shared): State<Arc<ServerState>>,
    Path((service, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            return answer(Err(StatusError::with_info(
                rest_code::HTTP_PARSE,
                format!("cannot read the request body: {e}"),
            )))
        }
    };
    let app = match authenticate(&shared, query.as_deref().unwrap_or("")) {
        Ok(app) => app,
        Err(e) => return answer(Err(e)),
    };
    let started = std::time::Instant::now();
    let outcome = match (service.as_str(), command.as_str()) {
        ("im_open_login_svc", "account_import") => account_import(app, &body).await,
        ("im_open_login_svc", "multiaccount_import") => multiaccount_import(app, &body).await,
        ("sns", "friend_add") => friend_change(app, &body, true).await,
        ("sns", "friend_delete") => friend_change(app, &body, false).await,
        ("openim", "query_online_status") => query_online_status(app, &body).await,
        _ => Err(StatusError::with_info(
            rest_code::UNKNOWN_COMMAND,
            format!("unknown command {service}/{command}"),
        )),
    };
    let code = outcome.as_ref().err().map_or(0, StatusError::code);
    shared.ops.answered("rest", started, code);
    answer(outcome)
}

/// Largest accepted request body (500 ids of 32 bytes need ~20 KiB).
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(1024 * 1024)
}

pub async fn not_found() -> Response {
    let mut resp = answer(Err(StatusError::with_info(
        rest_code::UNKNOWN_COMMAND,
        "no such endpoint",
    )));
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp
}

fn answer(outcome: Outcome) -> Response {
    let mut body = Map::new();
    let (status, err, info, extra) = match outcome {
        Ok(extra) => ("OK", 0, String::new(), extra),
        Err(e) => ("FAIL", e.code(), e.to_string(), Map::new()),
    };
    body.insert("ActionStatus".into(), json!(status));
    body.insert("ErrorCode".into(), json!(err));
    body.insert("ErrorInfo".into(), json!(info));
    body.extend(extra);
    (
        [(header::CONTENT_TYPE, "application/json")],
        Value::Object(body).to_string(),
    )
        .into_response()
}

/// Checks `sdkappid`, that `identifier` is the admin and the admin's `usersig`.
fn authenticate<'a>(
    shared: &'a ServerState,
    query: &str,
) -> Result<&'a std::sync::Arc<App>, StatusError> {
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let app = param("sdkappid")
        .and_then(|s| s.parse::<u64>().ok())
        .and_then(|id| shared.store.app(id))
        .ok_or(StatusError::with_info(
            rest_code::SDKAPPID_INVALID,
            "sdkappid missing or unknown",
        ))?;
    let identifier = param("identifier").unwrap_or_default();
    if identifier != app.cfg().admin {
        return Err(StatusError::with_info(
            rest_code::ADMIN_REQUIRED,
            "identifier must be the app admin",
        ));
    }
    let user_sig = param("usersig").unwrap_or_default();
    imsdk_usersig::verify(
        &user_sig,
        app.cfg().sdk_app_id,
        &app.cfg().secret_key,
        &identifier,
        crate::store::unix_now(),
    )?;
    Ok(app)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, StatusError> {
    serde_json::from_slice(body).map_err(|e| {
        StatusError::with_info(rest_code::JSON_PARSE, format!("bad request body: {e}"))
    })
}

#[derive(Deserialize)]
struct AccountImport {
    #[serde(rename = "UserID")]
    user_id: String,
}

async fn account_import(app: &App, body: &[u8]) -> Outcome {
    let req: AccountImport = parse(body)?;
    app.import(&req.user_id).await?;
    Ok(Map::new())
}

#[derive(Deserialize)]
struct MultiAccountImport {
    #[serde(rename = "Accounts")]
    accounts: Vec<String>,
}

async fn multiaccount_import(app: &App, body: &[u8]) -> Outcome {
    let req: MultiAccountImport = parse(body)?;
    if req.accounts.len() > 100 {
        return Err(StatusError::with_info(
            code::INVALID_PARAMETERS,
            "at most 100 accounts per call",
        ));
    }
    // One store write for the whole call (on disk before the answer).
    let failed = app.import_many(&req.accounts).await?;
    Ok(Map::from_iter([("FailAccounts".to_owned(), json!(failed))]))
}

#[derive(Deserialize)]
struct FriendItem {
    #[serde(rename = "To_Account")]
    to_account: String,
}

#[derive(Deserialize)]
struct FriendChange {
    #[serde(rename = "From_Account")]
    from_account: String,
    /// friend_add: `[{"To_Account": ..}]`.
    #[serde(rename = "AddFriendItem", default)]
    add_items: Vec<FriendItem>,
    /// friend_delete: `["id", ..]`.
    #[serde(rename = "To_Account", default)]
    delete_ids: Vec<String>,
    #[serde(rename = "AddType", default)]
    add_type: Option<String>,
    #[serde(rename = "DeleteType", default)]
    delete_type: Option<String>,
}

/// friend_add (`AddType` `Add_Type_Both`, the default, or `Add_Type_Single`) and friend_delete
/// (`DeleteType` `Delete_Type_Both`, the default, or `Delete_Type_Single`).
async fn friend_change(app: &App, body: &[u8], add: bool) -> Outcome {
    let req: FriendChange = parse(body)?;
    let from = app
        .presence(std::slice::from_ref(&req.from_account))
        .await?;
    if !matches!(from.first(), Some(Some(_))) {
        return Err(StatusError::new(code::ACCOUNT_NOT_FOUND));
    }
    let (kind, both_name, single_name, targets): (&Option<String>, _, _, Vec<&String>) = if add {
        (
            &req.add_type,
            "Add_Type_Both",
            "Add_Type_Single",
            req.add_items.iter().map(|i| &i.to_account).collect(),
        )
    } else {
        (
            &req.delete_type,
            "Delete_Type_Both",
            "Delete_Type_Single",
            req.delete_ids.iter().collect(),
        )
    };
    let both = match kind.as_deref() {
        None => true,
        Some(k) if k == both_name => true,
        Some(k) if k == single_name => false,
        Some(k) => {
            return Err(StatusError::with_info(
                code::INVALID_PARAMETERS,
                format!("unknown type {k}"),
            ))
        }
    };
    if targets.is_empty() || targets.len() > 100 {
        return Err(StatusError::with_info(
            code::INVALID_PARAMETERS,
            "1 to 100 accounts per call",
        ));
    }
    let mut results: Vec<Value> = Vec::new();
    for to in targets {
        let result = app
            .change_friendship(&req.from_account, to, both, add)
            .await;
        let (code, info) = match result {
            Ok(()) => (code::SUCC, String::new()),
            Err(e) => (e.code(), e.to_string()),
        };
        results.push(json!({"To_Account": to, "ResultCode": code, "ResultInfo": info}));
    }
    Ok(Map::from_iter([(
        "ResultItem".to_owned(),
        Value::Array(results),
    )]))
}

#[derive(Deserialize)]
struct QueryOnline {
    #[serde(rename = "To_Account")]
    to_account: Vec<String>,
    #[serde(rename = "IsNeedDetail", default)]
    need_detail: u8,
    #[serde(rename = "IsReturnCustomStatus", default)]
    return_custom_status: u8,
}

/// `Status` is `Online` or `Offline` (OFFLINE and UNLOGINED both read `Offline`).
async fn query_online_status(app: &App, body: &[u8]) -> Outcome {
    let req: QueryOnline = parse(body)?;
    app.online_query(
        &req.to_account,
        req.need_detail == 1,
        req.return_custom_status == 1,
    )
    .await
}
