//! One WebSocket connection to the server (`ws://` or `wss://` with rustls). The handshake is
//! blocking (bounded by the request timeout, on the worker thread); afterwards the socket is
//! non-blocking and a duplicate handle is registered with mio for readiness.

use crate::config::Config;
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocket;
use tungstenite::{Error as WsError, Message};

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
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
    pub fn open(
        url: &str,
        tls: Option<&Arc<ClientConfig>>,
        timeout: Duration,
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
            match TcpStream::connect_timeout(&addr, timeout) {
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
        tcp.set_read_timeout(Some(timeout)).map_err(io)?;
        tcp.set_write_timeout(Some(timeout)).map_err(io)?;
        let stream = if secure {
            let cfg = tls.ok_or("wss:// without TLS configuration")?.clone();
            let name = ServerName::try_from(host.clone())
                .map_err(|e| format!("server name {host}: {e}"))?;
            let conn = ClientConnection::new(cfg, name).map_err(|e| e.to_string())?;
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        } else {
            Stream::Plain(tcp)
        };
        let (ws, _response) =
            tungstenite::client(request, stream).map_err(|e| format!("handshake: {e}"))?;
        let tcp = ws.get_ref().tcp();
        tcp.set_nonblocking(true).map_err(io)?;
        let source = mio::net::TcpStream::from_std(tcp.try_clone().map_err(io)?);
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
