//! One WebSocket connection to the server (`ws://` or `wss://` with rustls). Opening it blocks (on
//! a connector thread) and is bounded as a whole by one deadline: every read and write of the TCP,
//! TLS and WebSocket handshakes gets only the time left, so a server that trickles its answer a
//! byte at a time cannot hold it open. Afterwards the socket is non-blocking, a duplicate handle is
//! registered with mio for readiness, and frames and messages are capped (`max_message_bytes`).

use crate::config::Config;
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Instant;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::{WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};

/// The TCP socket, with the open's deadline while it has one.
pub struct Tcp {
    sock: TcpStream,
    deadline: Option<Instant>,
}

impl Tcp {
    /// Before each blocking read or write of the open: only the time left, none when it is up.
    fn arm(&self) -> io::Result<()> {
        let Some(deadline) = self.deadline else {
            return Ok(());
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "opening the connection timed out",
            ));
        }
        self.sock.set_read_timeout(Some(left))?;
        self.sock.set_write_timeout(Some(left))
    }
}

impl Read for Tcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.sock.read(buf)
    }
}

impl Write for Tcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

pub enum Stream {
    Plain(Tcp),
    Tls(Box<StreamOwned<ClientConnection, Tcp>>),
}

impl Stream {
    fn tcp(&mut self) -> &mut Tcp {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_mut(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// What one read attempt found.
pub enum Incoming {
    Text(String),
    /// Nothing more for now.
    Idle,
    /// The connection ended; the server's close code when it sent one.
    Closed(Option<u16>),
}

pub struct Connection {
    ws: WebSocket<Stream>,
    /// Same socket as `ws`'s, registered with mio.
    source: mio::net::TcpStream,
}

/// Trust for `wss://`: the Mozilla roots plus the config's extra CA file.
pub fn tls_config(config: &Config) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &config.ca_file {
        let certs =
            CertificateDer::pem_file_iter(path).map_err(|e| format!("CA file {path}: {e}"))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("CA file {path}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("CA file {path}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

impl Connection {
    /// Opens the connection, giving up at `deadline`; frames and messages over
    /// `max_message_bytes` are refused later without being buffered (the connection is closed).
    pub fn open(
        url: &str,
        tls: Option<&Arc<ClientConfig>>,
        deadline: Instant,
        max_message_bytes: usize,
    ) -> Result<Connection, String> {
        let request = url
            .into_client_request()
            .map_err(|e| format!("bad server url: {e}"))?;
        let uri = request.uri();
        let secure = uri.scheme_str() == Some("wss");
        let host = uri
            .host()
            .ok_or("server url has no host")?
            .trim_matches(['[', ']'])
            .to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let addrs: Vec<_> = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("resolve {host}: {e}"))?
            .collect();
        let mut last = format!("no address for {host}");
        let mut tcp = None;
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                last = "opening the connection timed out".into();
                break;
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = format!("connect {addr}: {e}"),
            }
        }
        let tcp = tcp.ok_or(last)?;
        let io = |e: io::Error| e.to_string();
        tcp.set_nodelay(true).map_err(io)?;
        let tcp = Tcp {
            sock: tcp,
            deadline: Some(deadline),
        };
        let stream = if secure {
            let cfg = tls.ok_or("wss:// without TLS configuration")?.clone();
            let name = ServerName::try_from(host.clone())
                .map_err(|e| format!("server name {host}: {e}"))?;
            let conn = ClientConnection::new(cfg, name).map_err(|e| e.to_string())?;
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        } else {
            Stream::Plain(tcp)
        };
        let limits = WebSocketConfig::default()
            .max_message_size(Some(max_message_bytes))
            .max_frame_size(Some(max_message_bytes));
        let (mut ws, _response) =
            tungstenite::client::client_with_config(request, stream, Some(limits))
                .map_err(|e| format!("handshake: {e}"))?;
        let tcp = ws.get_mut().tcp();
        tcp.deadline = None;
        tcp.sock.set_nonblocking(true).map_err(io)?;
        let source = mio::net::TcpStream::from_std(tcp.sock.try_clone().map_err(io)?);
        Ok(Connection { ws, source })
    }

    pub fn register(&mut self, registry: &mio::Registry, token: mio::Token) -> io::Result<()> {
        registry.register(
            &mut self.source,
            token,
            mio::Interest::READABLE | mio::Interest::WRITABLE,
        )
    }

    pub fn deregister(&mut self, registry: &mio::Registry) {
        let _ = registry.deregister(&mut self.source);
    }

    /// Sends a text frame; what the socket cannot take now stays buffered until [`Self::flush`].
    pub fn send(&mut self, text: String) -> Result<(), String> {
        match self.ws.send(Message::text(text)) {
            Ok(()) => Ok(()),
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn flush(&mut self) -> Result<(), String> {
        match self.ws.flush() {
            Ok(()) => Ok(()),
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn read(&mut self) -> Incoming {
        loop {
            return match self.ws.read() {
                Ok(Message::Text(t)) => Incoming::Text(t.as_str().to_owned()),
                Ok(Message::Close(frame)) => Incoming::Closed(frame.map(|f| u16::from(f.code))),
                Ok(_) => continue,
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Incoming::Idle,
                Err(_) => Incoming::Closed(None),
            };
        }
    }

    /// Best-effort close frame; the connection is dropped right after.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}
