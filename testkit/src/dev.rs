//! The dev app every test, bench and example talks to (the server's `Config::dev_default()`).

use imsdk_protocol::{ClientFrame, PROTOCOL_VERSION};

/// The dev app's SDKAppID.
pub const APP: u64 = 1_400_000_001;
/// The dev app's secret key (signs UserSigs).
pub const KEY: &str = "imsdk-dev-secret-key";
/// The dev app's admin account (signs REST calls).
pub const ADMIN: &str = "administrator";

/// A UserSig of `user` for the dev app, valid for a day.
pub fn sig(user: &str) -> String {
    imsdk_usersig::generate(APP, KEY, user, 86_400)
}

/// The login request with `id` of `user` on the dev app, with a fresh UserSig.
pub fn login_frame(id: u64, user: &str, platform: &str, instance: &str) -> ClientFrame {
    login_frame_signed(id, user, &sig(user), platform, instance)
}

/// The login request with `id` of `user` on the dev app, with `user_sig`.
pub fn login_frame_signed(
    id: u64,
    user: &str,
    user_sig: &str,
    platform: &str,
    instance: &str,
) -> ClientFrame {
    ClientFrame::Login(imsdk_protocol::LoginRequest {
        id,
        version: PROTOCOL_VERSION,
        sdk_app_id: APP,
        user_id: user.into(),
        user_sig: user_sig.into(),
        platform: platform.into(),
        instance_id: instance.into(),
    })
}

/// The dev app's `[[app]]` table for a server config file: `accounts` imported, friend
/// notifications as `friend_status_notify`, and `extra` lines added.
pub fn app_toml<S: AsRef<str>>(accounts: &[S], friend_status_notify: bool, extra: &str) -> String {
    let accounts: Vec<String> = accounts
        .iter()
        .map(|a| format!("{:?}", a.as_ref()))
        .collect();
    format!(
        "[[app]]\nsdk_app_id = {APP}\nsecret_key = \"{KEY}\"\nadmin = \"{ADMIN}\"\nplan = \"ultimate\"\n\
         user_status_enabled = true\nfriend_status_notify = {friend_status_notify}\naccounts = [{}]\n{extra}",
        accounts.join(",")
    )
}
