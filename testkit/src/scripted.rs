//! A scripted server for one connection (blocking, tungstenite): it answers the login, then the
//! test drives the socket itself (silence, floods, malformed frames, closes).

use imsdk_protocol::{encode, LoginReply, ServerFrame};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;

/// The server side of the scripted connection.
pub type ServerWs = tungstenite::WebSocket<TcpStream>;

/// Listens on 127.0.0.1:0 for one connection, answers its login (heartbeat timeout `hb_s`), then
/// runs `after_login` with the socket. Returns the `ws://` URL and the server's thread.
pub fn scripted_server(
    hb_s: u64,
    after_login: impl FnOnce(&mut ServerWs) + Send + 'static,
) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    let h = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let mut ws = tungstenite::accept(tcp).expect("ws accept");
        let login = ws.read().expect("login frame");
        let id = serde_json::from_str::<serde_json::Value>(login.to_text().expect("text"))
            .expect("json")["id"]
            .as_u64()
            .expect("id");
        let data = serde_json::to_value(LoginReply {
            version: 1,
            heartbeat_timeout_s: hb_s,
            server_time: 1_700_000_000,
            limits: None,
        })
        .expect("json");
        let reply = ServerFrame::Reply {
            id,
            code: 0,
            desc: String::new(),
            data: Some(data),
        };
        ws.send(tungstenite::Message::text(encode(&reply)))
            .expect("send");
        after_login(&mut ws);
    });
    (url, h)
}

/// Reads frames until the client goes away.
pub fn read_until_closed(ws: &mut ServerWs) {
    while ws.read().is_ok() {}
}
