//! `wss://` and `https://` served by the server itself, with a certificate from a throwaway CA.

mod common;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::sync::Arc;
use std::time::Duration;

/// A CA (PEM) and a `localhost` certificate it signed, written as PEM files in a fresh directory.
struct Pki {
    ca_pem: String,
    cert: String,
    key: String,
    dir: std::path::PathBuf,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn make_pki(name: &str) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("imsdk-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        dir,
    }
}

fn tls_config(pki: &Pki) -> imsdk_server::config::Config {
    let mut config = config(|_| {});
    config.server.tls_cert = Some(pki.cert.clone());
    config.server.tls_key = Some(pki.key.clone());
    config
}

fn client_trusting(ca_pem: &str) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

async fn wss_login(port: u16, client: rustls::ClientConfig) -> Result<Client, String> {
    wss_login_as(port, client, "alice").await
}

async fn wss_login_as(
    port: u16,
    client: rustls::ClientConfig,
    user: &str,
) -> Result<Client, String> {
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(client));
    let url = format!("wss://localhost:{port}/ws");
    let (ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector))
            .await
            .map_err(|e| e.to_string())?;
    let mut c = Client::from_stream(ws);
    let reply = c.send_frame(&login_frame(user, "Windows", "pc")).await;
    assert_eq!(reply.code, 0);
    Ok(c)
}

#[tokio::test(flavor = "multi_thread")]
async fn wss_and_https_with_the_ca_and_refused_without_it() {
    let pki = make_pki("ok");
    let server = start(tls_config(&pki));
    let port = server.addr().port();

    let mut alice = wss_login(port, client_trusting(&pki.ca_pem))
        .await
        .expect("wss with the CA");
    assert_eq!(alice.heartbeat().await.code, 0);

    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = https
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("https with the CA");
    assert_eq!(resp.status(), 200);
    let page = https
        .get(format!("https://localhost:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("imsdk_sessions_online"), "{page}");

    // Another CA: refused, and plain HTTP on the TLS port gets no answer.
    let other = make_pki("other");
    let err = wss_login(port, client_trusting(&other.ca_pem)).await.err();
    assert!(
        err.is_some_and(|e| e.contains("certificate")),
        "must be refused"
    );
    assert!(reqwest::get(format!("https://localhost:{port}/healthz"))
        .await
        .is_err());
    let plain = tokio::time::timeout(
        Duration::from_secs(5),
        reqwest::get(format!("http://127.0.0.1:{port}/healthz")),
    )
    .await
    .expect("answered or closed in time");
    assert!(plain.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_handshake_does_not_hold_up_others() {
    let pki = make_pki("stall");
    let server = start(tls_config(&pki));
    // Connects and sends nothing.
    let _stalled = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let alice = tokio::time::timeout(
        WAIT,
        wss_login(server.addr().port(), client_trusting(&pki.ca_pem)),
    )
    .await
    .expect("in time");
    assert!(alice.is_ok());
}

#[test]
fn unreadable_or_mismatched_certificate_files_stop_the_start() {
    let pki = make_pki("bad");
    let mut config = tls_config(&pki);
    config.server.tls_cert = Some(pki.key.clone());
    assert!(imsdk_server::ServerHandle::start(config, "127.0.0.1:0".parse().unwrap()).is_err());
    let mut config = tls_config(&pki);
    config.server.tls_key = Some("/nonexistent/key.pem".into());
    let err = imsdk_server::ServerHandle::start(config, "127.0.0.1:0".parse().unwrap())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("/nonexistent/key.pem"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tls_port_closes_as_soon_as_a_graceful_shutdown_starts() {
    let pki = make_pki("stop");
    let server = start(tls_config(&pki));
    let addr = server.addr();
    let client = || client_trusting(&pki.ca_pem);
    let mut alice = wss_login(addr.port(), client()).await.unwrap();
    // bob never reads again: his close frame goes unanswered, holding the shutdown for ~1 s.
    let _bob = wss_login_as(addr.port(), client(), "bob").await.unwrap();
    let stopping = std::thread::spawn(move || server.shutdown());
    assert_eq!(alice.end().await, close_code(1001));
    let deadline = std::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the port stays open");
    }
    assert!(
        !stopping.is_finished(),
        "refused while the shutdown is still going on"
    );
    stopping.join().unwrap();
}
