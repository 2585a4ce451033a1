//! `wss://`: the library verifies the server certificate with rustls, certificates from a throwaway
//! rcgen CA: behind a TLS terminator (tokio-rustls) in front of a real server, and with the server's
//! own TLS.

mod common;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use ImSDK::*;

/// A throwaway CA (its PEM) and a `localhost` certificate it signed, with its key.
fn localhost_pki() -> (String, rcgen::Certificate, KeyPair) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".into()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("leaf");
    (ca.pem(), leaf, leaf_key)
}

/// Starts a TLS terminator for `localhost` forwarding to `backend`; returns its port and the CA
/// certificate (PEM) that signed its certificate.
fn tls_terminator(backend: std::net::SocketAddr) -> (u16, String, tokio::runtime::Runtime) {
    let (ca_pem, leaf, leaf_key) = localhost_pki();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (port, ca_pem, rt)
}

#[test]
fn wss_with_a_trusted_ca_works_and_an_unknown_ca_is_refused() {
    let _g = serial();
    let server = start_server(server_config(&["alice"]));
    let (port, ca_pem, _rt) = tls_terminator(server.addr());
    let ca_file =
        std::env::temp_dir().join(format!("imsdk-wss-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca_pem).expect("write CA");
    let url = format!("wss://localhost:{port}/ws");

    // Not trusted: the handshake fails, the login reports 9508.
    assert_eq!(init(&url, ""), 0);
    let (code, desc, _) = result_of(login_start("alice", &sig("alice")), WAIT);
    assert_eq!(code, 9508, "{desc}");
    assert!(
        desc.contains("certificate") || desc.contains("Certificate"),
        "{desc}"
    );
    assert_eq!(TIMUninit(), 0);

    // Trusted through sdk_config_ca_file: the whole API works over TLS.
    let extra = format!(r#""sdk_config_ca_file":"{}""#, ca_file.display());
    assert_eq!(init(&url, &extra), 0);
    login("alice");
    assert_eq!(
        call(
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":"over tls"}"#
        )
        .0,
        0
    );
    assert_eq!(
        query(&["alice"])[0]["user_status_custom_status"],
        "over tls"
    );
    assert_eq!(TIMUninit(), 0);
    let _ = std::fs::remove_file(ca_file);
}

/// The server's own TLS (`[server] tls_cert`/`tls_key`, no terminator): the library verifies its
/// certificate the same way.
#[test]
fn wss_to_the_servers_own_tls() {
    let _g = serial();
    let (ca_pem, leaf, leaf_key) = localhost_pki();
    let dir = std::env::temp_dir().join(format!("imsdk-server-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = |name: &str| dir.join(name).display().to_string();
    std::fs::write(path("ca.pem"), ca_pem).expect("write");
    std::fs::write(path("cert.pem"), leaf.pem()).expect("write");
    std::fs::write(path("key.pem"), leaf_key.serialize_pem()).expect("write");
    let mut config = server_config(&["alice"]);
    config.server.tls_cert = Some(path("cert.pem"));
    config.server.tls_key = Some(path("key.pem"));
    let server = start_server(config);
    let url = format!("wss://localhost:{}/ws", server.addr().port());

    assert_eq!(init(&url, ""), 0);
    let (code, desc, _) = result_of(login_start("alice", &sig("alice")), WAIT);
    assert_eq!(code, 9508, "not trusted: {desc}");
    assert_eq!(TIMUninit(), 0);

    let extra = format!(r#""sdk_config_ca_file":"{}""#, path("ca.pem"));
    assert_eq!(init(&url, &extra), 0);
    login("alice");
    let set = call(TIMSetSelfStatus, r#"{"user_status_custom_status":"tls"}"#);
    assert_eq!(set.0, 0);
    assert_eq!(query(&["alice"])[0]["user_status_custom_status"], "tls");
    assert_eq!(TIMUninit(), 0);
    let _ = std::fs::remove_dir_all(dir);
}
