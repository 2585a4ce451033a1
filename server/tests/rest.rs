//! The admin REST API: authentication, account import, friends, online query, bad input.

mod common;
use common::*;
use imsdk_protocol::code;
use serde_json::json;

const IMPORT: &str = "/v4/im_open_login_svc/account_import";

#[tokio::test(flavor = "multi_thread")]
async fn accounts_exist_only_after_import() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.send_frame(&login_frame("erin", "Linux", "e")).await.code,
        code::ACCOUNT_NOT_FOUND
    );
    let r = rest(addr, IMPORT, &json!({"UserID": "erin", "Nick": "Erin"})).await;
    assert_eq!(
        (
            r["ActionStatus"].as_str(),
            r["ErrorCode"].as_i64(),
            r["ErrorInfo"].as_str()
        ),
        (Some("OK"), Some(0), Some(""))
    );
    Client::login(addr, "erin", "Linux", "e").await;
    let r = rest(
        addr,
        "/v4/im_open_login_svc/multiaccount_import",
        &json!({"Accounts": ["f1", "f2", "bad\u{7f}"]}),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0);
    assert_eq!(r["FailAccounts"], json!(["bad\u{7f}"]));
    Client::login(addr, "f2", "Linux", "f").await;
    let r = rest(addr, IMPORT, &json!({"UserID": "x".repeat(33)})).await;
    assert_eq!(
        (r["ActionStatus"].as_str(), r["ErrorCode"].as_i64()),
        (Some("FAIL"), Some(code::INVALID_IDENTIFIER as i64))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_admin_with_a_valid_usersig_may_call() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let body = r#"{"UserID":"zed"}"#;
    let q = |app: &str, ident: &str, sig: &str| {
        format!(
            "{IMPORT}?sdkappid={app}&identifier={ident}&usersig={sig}&random=1&contenttype=json"
        )
    };
    let admin_sig = sig(ADMIN);
    let cases = [
        (q("1400000001", "alice", &sig("alice")), 60011),
        (q("999", ADMIN, &admin_sig), 60006),
        (q("abc", ADMIN, &admin_sig), 60006),
        (
            format!("{IMPORT}?identifier={ADMIN}&usersig={admin_sig}"),
            60006,
        ),
        (
            q("1400000001", ADMIN, "garbage"),
            code::USERSIG_CHECK_FAILED,
        ),
        (
            q("1400000001", ADMIN, &sig("alice")),
            code::USERSIG_MISMATCH_ID,
        ),
        (
            q(
                "1400000001",
                ADMIN,
                &imsdk_usersig::generate_at(APP, KEY, ADMIN, 5, 1_000_000),
            ),
            code::USERSIG_EXPIRED,
        ),
    ];
    for (path, want) in cases {
        let (status, r) = rest_raw(addr, &path, body).await;
        assert_eq!(status, 200);
        assert_eq!(
            (r["ActionStatus"].as_str(), r["ErrorCode"].as_i64()),
            (Some("FAIL"), Some(want as i64)),
            "{path}: {r}"
        );
    }
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.send_frame(&login_frame("zed", "Linux", "z")).await.code,
        code::ACCOUNT_NOT_FOUND,
        "nothing imported"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_and_unknown_commands_get_codes() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let query = format!("sdkappid={APP}&identifier={ADMIN}&usersig={}", sig(ADMIN));
    for body in ["{", "[]", r#"{"UserID": 5}"#, ""] {
        let (status, r) = rest_raw(addr, &format!("{IMPORT}?{query}"), body).await;
        assert_eq!(
            (status, r["ErrorCode"].as_i64()),
            (200, Some(60003)),
            "{body:?}"
        );
    }
    let (_, r) = rest_raw(addr, &format!("/v4/openim/no_such_thing?{query}"), "{}").await;
    assert_eq!(r["ErrorCode"], 60020);
    let (status, r) = rest_raw(addr, "/nowhere", "{}").await;
    assert_eq!((status, r["ErrorCode"].as_i64()), (404, Some(60020)));
    let r = rest(addr, "/v4/sns/friend_add", &json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "bob"}], "AddType": "Add_Type_Sideways"})).await;
    assert_eq!(r["ErrorCode"], code::INVALID_PARAMETERS);
    let r = rest(
        addr,
        "/v4/sns/friend_add",
        &json!({"From_Account": "ghost", "AddFriendItem": [{"To_Account": "bob"}]}),
    )
    .await;
    assert_eq!(r["ErrorCode"], code::ACCOUNT_NOT_FOUND);
    let r = rest(addr, "/v4/sns/friend_add", &json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "ghost"}, {"To_Account": "bob"}]})).await;
    assert_eq!(
        r["ResultItem"],
        json!([
            {"To_Account": "ghost", "ResultCode": code::ACCOUNT_NOT_FOUND, "ResultInfo": "account not imported"},
            {"To_Account": "bob", "ResultCode": 0, "ResultInfo": ""}
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn query_online_status_in_tencent_form() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let mut a1 = Client::login(addr, "alice", "Android", "a1").await;
    let _a2 = Client::login(addr, "alice", "Windows", "a2").await;
    assert_eq!(a1.set_status(Some("cooking")).await.code, 0);
    let mut b = Client::login(addr, "bob", "iPhone", "b").await;
    let logout = b
        .request(|id| imsdk_protocol::ClientFrame::Logout { id })
        .await;
    assert_eq!(logout.code, 0);
    let mut c = Client::login(addr, "carol", "Mac", "c").await;
    c.set_status(Some("gone soon")).await;
    c.drop_tcp();
    // Wait until the server saw carol's connection drop.
    let started = std::time::Instant::now();
    loop {
        assert!(started.elapsed() < WAIT, "carol's drop was not seen");
        let r = rest(
            addr,
            "/v4/openim/query_online_status",
            &json!({"To_Account": ["carol"]}),
        )
        .await;
        if r["QueryResult"][0]["Status"] == "Offline" {
            break;
        }
    }
    let r = rest(
        addr,
        "/v4/openim/query_online_status",
        &json!({"To_Account": ["alice", "bob", "carol", "dave", "nobody"], "IsNeedDetail": 1, "IsReturnCustomStatus": 1}),
    )
    .await;
    assert_eq!(r["ActionStatus"], "OK", "{r}");
    assert_eq!(
        r["QueryResult"],
        json!([
            {"To_Account": "alice", "Status": "Online", "CustomStatus": "cooking",
             "Detail": [{"Platform": "Android", "Status": "Online"}, {"Platform": "Windows", "Status": "Online"}]},
            {"To_Account": "bob", "Status": "Offline", "CustomStatus": "", "Detail": []},
            {"To_Account": "carol", "Status": "Offline", "CustomStatus": "", "Detail": []},
            {"To_Account": "dave", "Status": "Offline", "CustomStatus": "", "Detail": []}
        ])
    );
    assert_eq!(
        r["ErrorList"],
        json!([{"To_Account": "nobody", "ErrorCode": code::ACCOUNT_NOT_FOUND}])
    );
    let plain = rest(
        addr,
        "/v4/openim/query_online_status",
        &json!({"To_Account": ["alice"]}),
    )
    .await;
    assert_eq!(
        plain["QueryResult"],
        json!([{"To_Account": "alice", "Status": "Online"}])
    );
    let too_many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    let r = rest(
        addr,
        "/v4/openim/query_online_status",
        &json!({ "To_Account": too_many }),
    )
    .await;
    assert_eq!(r["ErrorCode"], code::INVALID_PARAMETERS);
}
