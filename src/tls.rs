//! HTTPS in the server itself (`[tls] cert`, `key`: PEM files, relative to the config file):
//! loads and checks the certificate chain and its private key into a rustls server config (ring
//! provider, TLS 1.2 and 1.3, HTTP/1.1 by ALPN). `check-config` and `serve` both load through
//! here, so a bad file is named before the hall opens; `central serve --tls-cert/--tls-key`
//! loads through here too. `net` does the handshakes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsSection;

/// `[tls]` paths made absolute against the config file's folder.
pub fn paths(tls: &TlsSection, config_path: &Path) -> (PathBuf, PathBuf) {
    let base = config_path.parent().unwrap_or(Path::new("."));
    (base.join(&tls.cert), base.join(&tls.key))
}

/// The server side of TLS for `[tls]`, or a message naming the file and what is wrong.
pub fn server_config(
    tls: &TlsSection,
    config_path: &Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let (cert_path, key_path) = paths(tls, config_path);
    load(("[tls] cert", &cert_path), ("[tls] key", &key_path))
}

/// The server side of TLS from a certificate chain and key given on the command line
/// (`central serve --tls-cert --tls-key`), or a message naming the file and what is wrong.
pub fn server_config_from_files(
    cert: &Path,
    key: &Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    load(("--tls-cert", cert), ("--tls-key", key))
}

/// Load and check a PEM certificate chain and its key; each comes with the name the person
/// gave it by (a config key or a flag), for the messages.
fn load(
    (cert_name, cert_path): (&str, &Path),
    (key_name, key_path): (&str, &Path),
) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| format!("{cert_name} {}: {e}", cert_path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{cert_name} {}: {e}", cert_path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{cert_name} {}: no certificate in it (PEM, BEGIN CERTIFICATE)",
            cert_path.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
        format!(
            "{key_name} {}: {e} (a PEM private key is needed)",
            key_path.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "{key_name} {} does not go with {cert_name} {}: {e}",
                key_path.display(),
                cert_path.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
