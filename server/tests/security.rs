//! Nobody gets in where they do not belong: a session acts only as the user it logged in as;
//! two apps on one server never see each other's users, and neither app's UserSigs or admin
//! open the other. (Forged, expired, wrong-app and wrong-identifier UserSigs: login.rs
//! `usersig_errors_have_tencent_codes`; the admin REST API: rest.rs
//! `only_the_admin_with_a_valid_usersig_may_call`.)

mod common;
use common::*;
use imsdk_protocol::{code, ClientFrame, UserStatusType, PROTOCOL_VERSION};
use imsdk_server::config::AppConfig;
use serde_json::json;

const APP2: u64 = 1_400_000_002;
const KEY2: &str = "second-app-secret-key";

fn two_apps() -> imsdk_server::config::Config {
    let mut cfg = config(|_| {});
    let mut second: AppConfig = cfg.apps[0].clone();
    second.sdk_app_id = APP2;
    second.secret_key = KEY2.into();
    cfg.apps.push(second);
    cfg
}

fn login2(user: &str, sig: String) -> ClientFrame {
    ClientFrame::Login(imsdk_protocol::LoginRequest {
        id: 1,
        version: PROTOCOL_VERSION,
        sdk_app_id: APP2,
        user_id: user.into(),
        user_sig: sig,
        platform: "Linux".into(),
        instance_id: format!("app2-{user}"),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_acts_only_as_its_own_user() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let mut bob = Client::login(addr, "bob", "Linux", "b").await;
    assert_eq!(bob.set_status(Some("bob's own")).await.code, 0);
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    // No frame names another actor: extra identity fields are refused, not obeyed.
    let impersonations = [
        r#"{"op":"set_self_status","id":7,"custom_status":"pwned","user_id":"bob"}"#,
        r#"{"op":"set_self_status","id":7,"custom_status":"pwned","user_status_identifier":"bob"}"#,
        r#"{"op":"logout","id":7,"user_id":"bob"}"#,
        r#"{"op":"unsubscribe_user_status","id":7,"user_ids":null,"from":"bob"}"#,
    ];
    for frame in impersonations {
        alice.send_text(frame).await;
        assert_eq!(
            alice.reply_for(7).await.code,
            code::INVALID_PARAMETERS,
            "{frame}"
        );
    }
    // A second login on the same connection, even with a valid UserSig of bob, is refused.
    let as_bob = login_frame("bob", "Linux", "a");
    assert_eq!(
        alice.send_frame(&as_bob).await.code,
        code::INVALID_PARAMETERS
    );
    // alice's session is still alice's: her change is hers, bob's status is untouched.
    assert_eq!(alice.set_status(Some("alice's own")).await.code, 0);
    let got = statuses(&bob.get(&["alice", "bob"]).await);
    assert_eq!(
        got,
        vec![
            status("alice", UserStatusType::Online, "alice's own", &["Linux"]),
            status("bob", UserStatusType::Online, "bob's own", &["Linux"]),
        ]
    );
    // Logging out ends alice only.
    assert_eq!(alice.request(|id| ClientFrame::Logout { id }).await.code, 0);
    assert_eq!(
        statuses(&bob.get(&["bob"]).await)[0].user_status_status_type,
        UserStatusType::Online
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_on_one_server_never_see_each_other() {
    let server = start(two_apps());
    let addr = server.addr();
    let app2_sig = |user: &str| imsdk_usersig::generate(APP2, KEY2, user, 3600);

    // Same identifier in both apps: two different accounts.
    let mut alice1 = Client::login(addr, "alice", "Linux", "a1").await;
    assert_eq!(alice1.set_status(Some("in app one")).await.code, 0);
    let mut bob2 = Client::connect(addr).await;
    assert_eq!(
        bob2.send_frame(&login2("bob", app2_sig("bob"))).await.code,
        0
    );
    assert_eq!(bob2.subscribe(&["alice"]).await.code, 0);
    assert_eq!(
        statuses(&bob2.get(&["alice"]).await),
        vec![status("alice", UserStatusType::UnLogined, "", &[])],
        "app two's alice never logged in"
    );
    assert_eq!(alice1.set_status(Some("still app one")).await.code, 0);
    assert!(
        bob2.heard_except("bob").await.is_empty(),
        "no push crosses apps"
    );

    // One app's UserSigs open nothing in the other.
    let cases = [
        (
            login2("alice", sig("alice")),
            code::USERSIG_MISMATCH_SDKAPPID,
        ),
        (
            login2("alice", imsdk_usersig::generate(APP2, KEY, "alice", 3600)),
            code::USERSIG_CHECK_FAILED,
        ),
    ];
    for (frame, want) in cases {
        let mut c = Client::connect(addr).await;
        assert_eq!(c.send_frame(&frame).await.code, want);
    }

    // Nor does one app's admin open the other's REST API.
    let body = json!({"To_Account": ["alice"], "IsReturnCustomStatus": 1}).to_string();
    let q = |app: u64, user_sig: &str| {
        format!(
            "/v4/openim/query_online_status?sdkappid={app}&identifier={ADMIN}&usersig={user_sig}&random=1&contenttype=json"
        )
    };
    let (_, r) = rest_raw(addr, &q(APP2, &sig(ADMIN)), &body).await;
    assert_eq!(r["ErrorCode"], code::USERSIG_MISMATCH_SDKAPPID, "{r}");
    let (_, r) = rest_raw(addr, &q(APP2, &app2_sig(ADMIN)), &body).await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    assert_eq!(r["QueryResult"][0]["Status"], "Offline", "{r}");
    assert_eq!(r["QueryResult"][0]["CustomStatus"], "", "{r}");
    let (_, r) = rest_raw(addr, &q(APP, &sig(ADMIN)), &body).await;
    assert_eq!(r["QueryResult"][0]["Status"], "Online", "{r}");
    assert_eq!(r["QueryResult"][0]["CustomStatus"], "still app one", "{r}");
}
