//! UserSigs made by Tencent's published generator (PyPI `tls-sig-api-v2`, see
//! `tests/data/make_usersigs.py`) are accepted unchanged, on login and on the REST API.

mod common;
use common::*;
use imsdk_protocol::{ClientFrame, PROTOCOL_VERSION};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    identifier: String,
    login_code: i32,
    usersig: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("data/tencent_usersigs.json")).expect("vectors")
}

#[tokio::test(flavor = "multi_thread")]
async fn tencent_made_usersigs_log_in_or_fail_with_tencent_codes() {
    let vectors = vectors();
    let server = start(config(|a| {
        a.accounts = vectors.iter().map(|v| v.identifier.clone()).collect()
    }));
    for v in &vectors {
        let mut c = Client::connect(server.addr()).await;
        let login = ClientFrame::Login(imsdk_protocol::LoginRequest {
            id: 1,
            version: PROTOCOL_VERSION,
            sdk_app_id: APP,
            user_id: v.identifier.clone(),
            user_sig: v.usersig.clone(),
            platform: "Linux".into(),
            instance_id: v.name.clone(),
        });
        let reply = c.send_frame(&login).await;
        assert_eq!(reply.code, v.login_code, "{}: {}", v.name, reply.desc);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tencent_made_admin_usersig_opens_the_rest_api() {
    let admin = vectors()
        .into_iter()
        .find(|v| v.name == "valid_admin")
        .expect("admin vector");
    let server = start(config(|_| {}));
    let path = format!("/v4/im_open_login_svc/account_import?sdkappid={APP}&identifier={ADMIN}&usersig={}&random=1&contenttype=json", admin.usersig);
    let (status, r) = rest_raw(server.addr(), &path, r#"{"UserID":"newbie"}"#).await;
    assert_eq!((status, r["ErrorCode"].as_i64()), (200, Some(0)), "{r}");
}
