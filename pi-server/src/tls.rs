//! HTTPS: the certificate chain and key of `--tls-cert` and `--tls-key`, loaded once at
//! start into a rustls server configuration (ring for the cryptography: pure Rust and
//! assembly, so it cross-compiles for a Pi with no C toolchain but the usual one).
//!
//! With TLS on, every connection is TLS; a plain-HTTP request to the port fails its
//! handshake and is closed, as with any HTTPS server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Why the certificate or key cannot be used; each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file cannot be read or holds no PEM certificate.
    #[error(
        "--tls-cert {}: {cause}; give a PEM file with the server's certificate first, then \
         any intermediates",
        path.display()
    )]
    Cert {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// The key file cannot be read or holds no PEM private key.
    #[error(
        "--tls-key {}: {cause}; give the PEM private key (PKCS#8, PKCS#1 or SEC1) of the \
         certificate",
        path.display()
    )]
    Key {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// The two files do not belong together, or rustls refuses them.
    #[error("--tls-cert and --tls-key cannot be used together: {0}")]
    Mismatch(String),
}

/// Loads the certificate chain and key into a server configuration for HTTP/1.1.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_error = |cause: String| TlsError::Cert {
        path: cert.to_path_buf(),
        cause,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no certificate in it".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_path_buf(),
        cause: e.to_string(),
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e: rustls::Error| TlsError::Mismatch(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name)
    }

    #[test]
    fn the_test_certificate_loads() {
        load(&fixture("server.pem"), &fixture("server.key")).unwrap();
    }

    #[test]
    fn bad_files_are_named_in_the_error() {
        let missing = fixture("no-such.pem");
        let e = load(&missing, &fixture("server.key")).unwrap_err();
        assert!(e.to_string().contains("--tls-cert") && e.to_string().contains("no-such.pem"));
        // A key given as the certificate: no certificate in it.
        let e = load(&fixture("server.key"), &fixture("server.key")).unwrap_err();
        assert!(e.to_string().contains("no certificate"), "{e}");
        // A certificate given as the key.
        let e = load(&fixture("server.pem"), &fixture("server.pem")).unwrap_err();
        assert!(e.to_string().contains("--tls-key"), "{e}");
        // The CA's certificate with the server's key: they do not match.
        let e = load(&fixture("ca.pem"), &fixture("server.key")).unwrap_err();
        assert!(e.to_string().contains("cannot be used together"), "{e}");
    }
}
