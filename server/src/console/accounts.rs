//! Accounts: import, list and search with paging, one account's detail, friends, and the same
//! online query as the REST API's `query_online_status`.

use super::auth::SignedIn;
use super::{parse, ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

/// Most ids per import call.
const IMPORT_MAX: usize = 1000;
/// Largest page of the account list.
const PAGE_MAX: usize = 500;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: usize,
    #[serde(default = "default_page_size")]
    size: usize,
}

fn default_page_size() -> usize {
    50
}

/// `GET /console/api/accounts?q=&page=&size=`: ids containing `q`, sorted, one page of them.
pub async fn list(SignedIn(app): SignedIn, Query(query): Query<ListQuery>) -> ApiResult {
    if query.size == 0 || query.size > PAGE_MAX {
        return Err(ApiError::bad(format!("size: 1 to {PAGE_MAX}")));
    }
    let (total, ids) = app
        .account_page(&query.q, query.page, query.size)
        .await
        .map_err(ApiError::status)?;
    Ok(super::json(
        json!({"total": total, "page": query.page, "size": query.size, "ids": ids}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Import {
    ids: Vec<String>,
}

/// `POST /console/api/accounts {"ids": [..]}`: imports; answers the ids that failed.
pub async fn import(SignedIn(app): SignedIn, body: Bytes) -> ApiResult {
    let req: Import = parse(&body)?;
    if req.ids.is_empty() || req.ids.len() > IMPORT_MAX {
        return Err(ApiError::bad(format!("1 to {IMPORT_MAX} ids per import")));
    }
    let mut failed = Vec::new();
    for id in &req.ids {
        if let Err(e) = app.import(id).await {
            failed.push(json!({"id": id, "error": e.to_string(), "code": e.code()}));
        }
    }
    Ok(
        super::json(json!({"imported": req.ids.len() - failed.len(), "failed": failed}))
            .into_response(),
    )
}

/// `GET /console/api/accounts/{id}`: status, devices, custom status, friends, subscriptions.
pub async fn detail(SignedIn(app): SignedIn, Path(id): Path<String>) -> ApiResult {
    match app.account_detail(&id).await.map_err(ApiError::status)? {
        Some(detail) => Ok(super::json(json!({"id": id, "account": detail})).into_response()),
        None => Err(ApiError(
            axum::http::StatusCode::NOT_FOUND,
            format!("{id:?} is not imported"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FriendChange {
    from: String,
    to: String,
    add: bool,
    /// Both directions (Tencent's `Add_Type_Both`), the default.
    #[serde(default = "yes")]
    both: bool,
}

fn yes() -> bool {
    true
}

/// `POST /console/api/friends {"from", "to", "add", "both"}`.
pub async fn friends(SignedIn(app): SignedIn, body: Bytes) -> ApiResult {
    let req: FriendChange = parse(&body)?;
    app.change_friendship(&req.from, &req.to, req.both, req.add)
        .await
        .map_err(ApiError::status)?;
    Ok(super::json(json!({})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusQuery {
    ids: Vec<String>,
}

/// `POST /console/api/query {"ids": [..]}`: the REST `query_online_status` with details and
/// custom status, answered in its form (`QueryResult`, `ErrorList`).
pub async fn query(SignedIn(app): SignedIn, body: Bytes) -> ApiResult {
    let req: StatusQuery = parse(&body)?;
    let outcome = app
        .online_query(&req.ids, true, true)
        .await
        .map_err(ApiError::status)?;
    Ok(super::json(serde_json::Value::Object(outcome)))
}
