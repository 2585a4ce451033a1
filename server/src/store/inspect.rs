//! Read-only views of an app for the web console and the admin REST API: the account list, one
//! account's detail, who is online, and the online query in Tencent's form.

use super::{App, StatusError};
use imsdk_protocol::{code, UserStatus, UserStatusType};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// One account as the console shows it.
#[derive(Debug, Serialize)]
pub struct AccountDetail {
    pub status: UserStatus,
    /// Platform of each online session.
    pub devices: Vec<String>,
    /// Its friend list, sorted.
    pub friends: Vec<String>,
    /// Its subscriptions, oldest first.
    pub subscriptions: Vec<String>,
}

impl App {
    /// Page `page` (of `size`) of the imported ids containing `filter`, sorted, and how many match.
    pub async fn account_page(
        &self,
        filter: &str,
        page: usize,
        size: usize,
    ) -> Result<(usize, Vec<String>), StatusError> {
        self.store().account_page(filter, page, size).await
    }

    /// The account's status, devices, friends and subscriptions (None: not imported).
    pub async fn account_detail(&self, id: &str) -> Result<Option<AccountDetail>, StatusError> {
        let Some(Some((status, devices))) = self.presence(&[id.to_owned()]).await?.pop() else {
            return Ok(None);
        };
        let (friends, subscriptions) = self.store().lists(id).await?;
        Ok(Some(AccountDetail {
            status,
            devices,
            friends,
            subscriptions,
        }))
    }

    /// Up to `max` accounts ONLINE now (cluster mode: none; the live view shows changes as heard).
    pub fn online_ids(&self, max: usize) -> Vec<String> {
        self.store().online_ids(max)
    }

    /// Tencent's `query_online_status` answer (REST, and the console's query with details and
    /// custom status): `QueryResult` with `Status` `Online` or `Offline` (OFFLINE and UNLOGINED
    /// both read `Offline`), `ErrorList` for ids not imported or not valid.
    pub async fn online_query(
        &self,
        ids: &[String],
        need_detail: bool,
        custom_status: bool,
    ) -> Result<Map<String, Value>, StatusError> {
        if ids.is_empty() || ids.len() > 500 {
            return Err(StatusError::with_info(
                code::INVALID_PARAMETERS,
                "1 to 500 accounts per call",
            ));
        }
        let found = self.presence(ids).await?;
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for (id, found) in ids.iter().zip(found) {
            let Some((status, platforms)) = found else {
                let err = if imsdk_protocol::valid_user_id(id) {
                    code::ACCOUNT_NOT_FOUND
                } else {
                    code::INVALID_IDENTIFIER
                };
                errors.push(json!({"To_Account": id, "ErrorCode": err}));
                continue;
            };
            let online = status.user_status_status_type == UserStatusType::Online;
            let mut item =
                json!({"To_Account": id, "Status": if online { "Online" } else { "Offline" }});
            if need_detail {
                let detail: Vec<Value> = platforms
                    .iter()
                    .map(|p| json!({"Platform": p, "Status": "Online"}))
                    .collect();
                item["Detail"] = Value::Array(detail);
            }
            if custom_status {
                item["CustomStatus"] = json!(status.user_status_custom_status);
            }
            results.push(item);
        }
        Ok(Map::from_iter([
            ("QueryResult".to_owned(), Value::Array(results)),
            ("ErrorList".to_owned(), Value::Array(errors)),
        ]))
    }
}
