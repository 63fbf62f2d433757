//! HTTPS in the server (`[tls] cert`, `key`), over loopback with a certificate made in the test:
//! pages and the API over TLS with HSTS, the session cookie `Secure`, plain HTTP on the TLS port
//! refused without an answer in clear, and `check-config` naming a bad certificate or key. The
//! central server the same way with `--tls-cert`/`--tls-key`.

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

/// One HTTP/1.1 request over TLS to the hall; the raw response (headers and body).
async fn https(
    hall: &TestHall,
    trust: &rustls::pki_types::CertificateDer<'static>,
    request: &str,
) -> String {
    https_to(hall.addr, trust, request).await
}

/// One HTTP/1.1 request over TLS to `addr`; the raw response (headers and body).
async fn https_to(
    addr: std::net::SocketAddr,
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
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
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
    logs_in_with_a_secure_cookie(hall.addr, &trust, &body).await;

    refuses_plain_http(hall.addr).await;
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

/// Plain HTTP on a TLS port: no answer in clear, the connection is closed at once.
async fn refuses_plain_http(addr: std::net::SocketAddr) {
    let mut plain = tokio::net::TcpStream::connect(addr).await.expect("connect");
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("send");
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut got))
        .await
        .expect("closed within 5 s, not left hanging");
    assert!(
        read.is_err() || !String::from_utf8_lossy(&got).contains("HTTP/1.1"),
        "served in clear: {}",
        String::from_utf8_lossy(&got)
    );
}

/// Log in over HTTPS with the JSON `body`: 200 and an HttpOnly, `Secure` session cookie.
async fn logs_in_with_a_secure_cookie(
    addr: std::net::SocketAddr,
    trust: &rustls::pki_types::CertificateDer<'static>,
    body: &str,
) {
    let login = https_to(
        addr,
        trust,
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
        .unwrap_or_else(|| panic!("a session cookie: {login}"));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("; Secure"),
        "{cookie}"
    );
}

/// `hallq central serve --tls-cert --tls-key`: the central page and login over HTTPS with HSTS
/// and a `Secure` cookie, plain HTTP on its port refused (PostgreSQL on loopback).
#[tokio::test]
async fn the_central_server_serves_https_with_a_secure_cookie() {
    let dir = tempfile::tempdir().expect("dir");
    let trust = make_cert(dir.path());
    let (_pg, url) = crate::pg::Pg::fresh().await;
    let central = Arc::new(hallq::central::Central::open(&url).await.expect("open"));
    assert!(
        central
            .add_user("chief", "总台", "manager", "central-pass")
            .await
            .expect("add")
    );
    let tls = hallq::tls::server_config_from_files(
        &dir.path().join("cert.pem"),
        &dir.path().join("key.pem"),
    )
    .expect("the test certificate loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hallq::central::serve(central, listener, Some(tls), async {
        let _ = stopped.await;
    }));

    let page = https_to(
        addr,
        &trust,
        "GET /central/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.to_ascii_lowercase()
            .contains("strict-transport-security: max-age="),
        "HSTS over HTTPS: {page}"
    );
    logs_in_with_a_secure_cookie(
        addr,
        &trust,
        r#"{"username":"chief","password":"central-pass"}"#,
    )
    .await;
    refuses_plain_http(addr).await;
    let _ = stop.send(());
    server
        .await
        .expect("the server task")
        .expect("served until stopped");
}

#[test]
fn central_serve_names_a_bad_certificate_before_it_touches_the_database() {
    let dir = tempfile::tempdir().expect("dir");
    make_cert(dir.path());
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("another");
    std::fs::write(
        dir.path().join("other.pem"),
        other.signing_key.serialize_pem(),
    )
    .expect("key");
    let path = |f: &str| dir.path().join(f).to_str().expect("utf-8").to_string();
    // No database listens at this URL: the certificate is checked first.
    let serve = |cert: &str, key: &str| {
        run(&[
            "central",
            "serve",
            "--pg",
            "postgres://hallq@127.0.0.1:1/none",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &path(cert),
            "--tls-key",
            &path(key),
        ])
    };
    let (code, _, err) = serve("cert.pem", "other.pem");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--tls-key") && err.contains("does not go with"),
        "{err}"
    );
    let (code, _, err) = serve("missing.pem", "key.pem");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--tls-cert") && err.contains("missing.pem"),
        "{err}"
    );
    // One without the other is bad usage.
    let (code, _, err) = run(&[
        "central",
        "serve",
        "--pg",
        "postgres://hallq@127.0.0.1:1/none",
        "--tls-cert",
        &path("cert.pem"),
    ]);
    assert_eq!(code, 2, "{err}");
}
