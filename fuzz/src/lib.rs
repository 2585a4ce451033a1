//! Shared set-up of the fuzz targets: one real `imsdk-server` per fuzzing process, on
//! 127.0.0.1:0, with the dev app and a few imported accounts.

use imsdk_protocol::{encode, ClientFrame, PROTOCOL_VERSION};
use imsdk_server::config::Config;
use imsdk_server::ServerHandle;
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

pub const APP: u64 = 1_400_000_001;
pub const KEY: &str = "imsdk-dev-secret-key";
pub const ADMIN: &str = "administrator";
/// Longest wait for an answer the server owes; silence past it is a finding.
pub const WAIT: Duration = Duration::from_secs(10);

/// The process-wide server (started on first use, never stopped: the fuzzer exits the process).
pub fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        let mut config = Config::dev_default();
        config.apps[0].accounts = ["alice", "bob", "carol"].map(String::from).to_vec();
        // Let accepted calls reach the handlers instead of the rate limiter.
        config.apps[0].limits.rate_calls = 1_000_000_000;
        let server = ServerHandle::start(config, "127.0.0.1:0".parse().expect("addr"))
            .expect("server starts");
        let addr = server.addr();
        std::mem::forget(server);
        addr
    })
}

pub fn sig(user: &str) -> String {
    imsdk_usersig::generate(APP, KEY, user, 86_400)
}

pub type Ws = tungstenite::WebSocket<TcpStream>;

/// A WebSocket logged in as `user`, reads bounded by [`WAIT`].
pub fn login(user: &str, instance: &str) -> Ws {
    let addr = server();
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(WAIT)).expect("timeout");
    let (mut ws, _) =
        tungstenite::client(format!("ws://{addr}/ws"), tcp).expect("WebSocket handshake");
    let frame = ClientFrame::Login(imsdk_protocol::LoginRequest {
        id: 1,
        version: PROTOCOL_VERSION,
        sdk_app_id: APP,
        user_id: user.into(),
        user_sig: sig(user),
        platform: "Linux".into(),
        instance_id: instance.into(),
    });
    ws.send(tungstenite::Message::text(encode(&frame)))
        .expect("send login");
    loop {
        match ws.read().expect("login reply") {
            tungstenite::Message::Text(t) => {
                let v: serde_json::Value = serde_json::from_str(&t).expect("server JSON");
                if v["op"] == "reply" {
                    assert_eq!(v["code"], 0, "login: {t}");
                    return ws;
                }
            }
            _ => continue,
        }
    }
}

/// The query string of an admin REST call with a valid admin UserSig (made once).
pub fn admin_query() -> &'static str {
    static QUERY: OnceLock<String> = OnceLock::new();
    QUERY.get_or_init(|| {
        format!(
            "sdkappid={APP}&identifier={ADMIN}&usersig={}&random=7&contenttype=json",
            sig(ADMIN)
        )
    })
}
