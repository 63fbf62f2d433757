//! HTTPS in the server (`[tls] cert`, `key`), over loopback with a certificate made in the test:
//! pages and the API over TLS with HSTS, the session cookie `Secure`, plain HTTP on the TLS port
//! refused without an answer in clear, and `check-config` naming a bad certificate or key.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::cli::run;
use crate::helpers::*;

/// A self-signed certificate for localhost and 127.0.0.1, written as cert.pem and key.pem into
/// `dir`; returns the certificate to trust.
fn make_cert(dir: &std::path::Path) -> rustls::pki_types::CertificateDer<'static> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).expect("cert");
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).expect("key");
    made.cert.der().clone()
}

fn tls_config() -> String {
    format!(
        "{}\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
        shipped_config()
    )
}

/// One HTTP/1.1 request over TLS; the raw response (headers and body).
async fn https(
    hall: &TestHall,
    trust: &rustls::pki_types::CertificateDer<'static>,
    request: &str,
) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(trust.clone())
        .expect("trust the test certificate");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(hall.addr)
        .await
        .expect("connect");
    let mut tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake with the hall");
    tls.write_all(request.as_bytes()).await.expect("send");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out))
        .await
        .expect("an answer within 10 s")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_hall_serves_https_with_a_secure_cookie_and_refuses_plain_http_on_that_port() {
    let dir = tempfile::tempdir().expect("dir");
    let trust = make_cert(dir.path());
    let hall = TestHall::spawn_in(dir.path(), &tls_config()).await;

    let health = https(
        &hall,
        &trust,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let lower = health.to_ascii_lowercase();
    assert!(
        lower.contains("strict-transport-security: max-age="),
        "HSTS over HTTPS: {health}"
    );

    let body = format!(r#"{{"username":"clerk1","password":"{PASSWORD}"}}"#);
    let login = https(
        &hall,
        &trust,
        &format!(
            "POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("; Secure"),
        "{cookie}"
    );

    // Plain HTTP on the TLS port: no answer in clear, the connection is closed at once.
    let mut plain = tokio::net::TcpStream::connect(hall.addr)
        .await
        .expect("connect");
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("send");
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut got))
        .await
        .expect("closed within 5 s, not left hanging");
    assert!(
        read.is_err() || !String::from_utf8_lossy(&got).contains("HTTP/1.1 200"),
        "served in clear: {}",
        String::from_utf8_lossy(&got)
    );
    // And the hall goes on serving HTTPS.
    let again = https(
        &hall,
        &trust,
        "GET /api/v1/hall HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    hall.stop().await;
}

#[test]
fn check_config_names_a_missing_or_mismatched_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    make_cert(dir.path());
    let file = dir.path().join("hall.toml");
    std::fs::write(&file, tls_config()).expect("config");
    let path = file.to_str().expect("utf-8");
    let (code, out, err) = run(&["check-config", path]);
    assert_eq!(code, 0, "{out}{err}");

    // A key that is not the certificate's.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("another");
    std::fs::write(
        dir.path().join("key.pem"),
        other.signing_key.serialize_pem(),
    )
    .expect("key");
    let (code, _, err) = run(&["check-config", path]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[tls] key") && err.contains("does not go with"),
        "{err}"
    );

    // No certificate file at all.
    std::fs::remove_file(dir.path().join("cert.pem")).expect("rm");
    let (code, _, err) = run(&["check-config", path]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[tls] cert") && err.contains("cert.pem"),
        "{err}"
    );
}
