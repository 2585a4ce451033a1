//! HTTP requests to a server's REST API, console and operations endpoints (reqwest; every answer
//! within [`WAIT`](crate::ws::WAIT)).

use crate::dev::{sig, ADMIN, APP, KEY};
use crate::ws::WAIT;
use serde_json::Value;
use std::net::SocketAddr;

/// One request; returns the status, the JSON body (Null if none or not JSON) and the head (status
/// line and headers, names in lower case).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut req = reqwest::Client::new()
        .request(method, format!("http://{addr}{path}"))
        .timeout(WAIT)
        .header("Content-Type", "application/json")
        .body(body.map(Value::to_string).unwrap_or_default());
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("an HTTP answer in time");
    let status = resp.status();
    let mut head = format!("{:?} {status}\r\n", resp.version());
    for (name, value) in resp.headers() {
        head.push_str(&format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let text = resp.text().await.expect("an HTTP body");
    (
        status.as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
        head,
    )
}

/// POSTs a raw body to a raw path-and-query; returns the HTTP status and the JSON answer.
pub async fn rest_raw(addr: SocketAddr, path_and_query: &str, body: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}{path_and_query}"))
        .timeout(WAIT)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("an HTTP answer in time");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("an HTTP body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// POSTs JSON to the admin REST API with the admin's UserSig; returns the JSON answer.
pub async fn rest(addr: SocketAddr, path: &str, body: &Value) -> Value {
    let query = format!(
        "sdkappid={APP}&identifier={ADMIN}&usersig={}&random=7&contenttype=json",
        sig(ADMIN)
    );
    rest_raw(addr, &format!("{path}?{query}"), &body.to_string())
        .await
        .1
}

/// `GET http://addr/path`: status and body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let resp = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("GET");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// Signs in to the console as the dev app's admin; the session token.
pub async fn sign_in(addr: SocketAddr) -> String {
    let (status, body, head) = http(
        addr,
        "POST",
        "/console/api/login",
        None,
        Some(&serde_json::json!({"sdk_app_id": APP, "admin": ADMIN, "secret_key": KEY})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("HttpOnly"), "{head}");
    body["token"].as_str().expect("token").to_owned()
}
