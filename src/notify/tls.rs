//! HTTPS to a `[[notify]]` gateway: the rustls client side (ring, TLS 1.2 and 1.3, the same
//! crates as the server's `[tls]`). Trusted roots are the gateway's `ca_file` (a hall's private
//! CA, PEM, relative to the config file) or else the system's CA bundle, read from the file the
//! distribution keeps it in. Built once at start, so a missing or unreadable file is named
//! before the hall opens (and by `check-config`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

use crate::config::notify::{GatewayUrl, NotifySection};

/// Where Linux distributions keep the system CA bundle (Debian, Ubuntu, UOS and Kylin; RHEL,
/// CentOS and openEuler; SUSE; Alpine). `SSL_CERT_FILE` comes first when set.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The TLS connector of each gateway, in `[[notify]]` order (`None` for `http://`), or a
/// message naming the gateway and the file that is wrong.
pub fn connectors(
    targets: &[NotifySection],
    config_path: &Path,
) -> Result<Vec<Option<TlsConnector>>, String> {
    targets
        .iter()
        .map(|t| connector(t, config_path).map_err(|e| format!("[[notify]] {}: {e}", t.name)))
        .collect()
}

fn connector(t: &NotifySection, config_path: &Path) -> Result<Option<TlsConnector>, String> {
    let url = GatewayUrl::parse(&t.url)?;
    if !url.tls {
        return Ok(None);
    }
    let roots = match &t.ca_file {
        Some(f) => {
            let path = config_path.parent().unwrap_or(Path::new(".")).join(f);
            let roots = roots_from(&path)?;
            if roots.is_empty() {
                return Err(format!("ca_file {}: no certificate in it", path.display()));
            }
            roots
        }
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsConnector::from(Arc::new(config))))
}

/// The certificates of a PEM file as trusted roots.
fn roots_from(path: &Path) -> Result<rustls::RootCertStore, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("ca_file {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    let (_, bad) = roots.add_parsable_certificates(certs);
    if bad > 0 && roots.is_empty() {
        return Err(format!("{}: no usable CA certificate", path.display()));
    }
    Ok(roots)
}

/// The system's CA bundle.
fn system_roots() -> Result<rustls::RootCertStore, String> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let path = from_env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "no system CA bundle found (install ca-certificates, or give ca_file)".to_string()
        })?;
    let roots = roots_from(&path)?;
    if roots.is_empty() {
        return Err(format!("{}: no CA certificate in it", path.display()));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(url: &str, ca_file: Option<&str>) -> NotifySection {
        NotifySection {
            ca_file: ca_file.map(Into::into),
            ..crate::config::notify::test_section(url)
        }
    }

    #[test]
    fn http_needs_no_tls_and_a_bad_ca_file_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("hall.toml");
        let got = connectors(&[section("http://127.0.0.1:9/x", None)], &config).expect("ok");
        assert!(got[0].is_none());
        let e = connectors(
            &[section("https://127.0.0.1:9/x", Some("none.pem"))],
            &config,
        )
        .err()
        .expect("refused");
        assert!(
            e.contains("[[notify]] sms") && e.contains("none.pem"),
            "{e}"
        );
        std::fs::write(dir.path().join("empty.pem"), "not a certificate\n").expect("write");
        let e = connectors(
            &[section("https://127.0.0.1:9/x", Some("empty.pem"))],
            &config,
        )
        .err()
        .expect("refused");
        assert!(e.contains("no certificate"), "{e}");
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
        std::fs::write(dir.path().join("ca.pem"), ca.cert.pem()).expect("write");
        let got =
            connectors(&[section("https://localhost:9/x", Some("ca.pem"))], &config).expect("ok");
        assert!(got[0].is_some());
    }
}
