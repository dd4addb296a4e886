//! Building rustls configurations from PEM files: server (client certificate required,
//! CRLs checked) and client (server verified against our CA and CRLs, client certificate
//! presented). Both use the *ring* provider, TLS 1.3 and 1.2, and ALPN `h2`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use super::{TlsError, TlsFiles};
use crate::crypto::provider;

const ALPN_H2: &[u8] = b"h2";

/// A server configuration that REQUIRES a client certificate chaining to `files.ca` and
/// not revoked by any of `files.crls`. Session resumption is off, so every connection is
/// fully verified against the CRLs of this configuration.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let roots = Arc::new(load_roots(&files.ca)?);
    let crls = load_crls(&files.crls)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
        .with_crls(crls)
        .build()
        .map_err(|e| TlsError::Config(format!("client certificate verifier: {e}")))?;
    let (chain, key) = load_identity(files)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| identity_error(files, e))?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    // A resumed session skips certificate verification; without resumption a newly
    // revoked or expired client is refused on its very next connection.
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// A client configuration: the server must chain to `files.ca` (and not be revoked by
/// `files.crls`); we present `files.cert` as our client certificate.
pub fn client_config(files: &TlsFiles) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider();
    let roots = Arc::new(load_roots(&files.ca)?);
    let crls = load_crls(&files.crls)?;
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .with_crls(crls)
            .build()
            .map_err(|e| TlsError::Config(format!("server certificate verifier: {e}")))?;
    let (chain, key) = load_identity(files)?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(chain, key)
        .map_err(|e| identity_error(files, e))?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(config))
}

fn identity_error(files: &TlsFiles, err: rustls::Error) -> TlsError {
    match err {
        rustls::Error::InconsistentKeys(_) => TlsError::Invalid {
            what: "private key",
            path: files.key.clone(),
            reason: format!(
                "it does not belong to the certificate {}; configure the matching pair",
                files.cert.display()
            ),
        },
        other => TlsError::Invalid {
            what: "certificate or key",
            path: files.cert.clone(),
            reason: other.to_string(),
        },
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        what,
        path: path.to_path_buf(),
        source: Arc::new(e),
    })
}

fn invalid(what: &'static str, path: &Path, reason: impl Into<String>) -> TlsError {
    TlsError::Invalid {
        what,
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Every certificate of a PEM file, in order; at least one.
pub(crate) fn load_certs(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(what, path, format!("bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(what, path, "it holds no `CERTIFICATE` PEM block"));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read("private key", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        invalid(
            "private key",
            path,
            format!("no usable PEM private key ({e}); expected PKCS#8"),
        )
    })
}

fn load_identity(
    files: &TlsFiles,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    Ok((
        load_certs("certificate", &files.cert)?,
        load_key(&files.key)?,
    ))
}

fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs("CA certificate", path)? {
        roots.add(cert).map_err(|e| {
            invalid(
                "CA certificate",
                path,
                format!("not a usable trust anchor: {e}"),
            )
        })?;
    }
    Ok(roots)
}

fn load_crls(paths: &[PathBuf]) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let mut out = Vec::new();
    for path in paths {
        let pem = read("CRL", path)?;
        let crls = CertificateRevocationListDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("CRL", path, format!("bad PEM: {e}")))?;
        if crls.is_empty() {
            return Err(invalid("CRL", path, "it holds no `X509 CRL` PEM block"));
        }
        // Parse now so a broken CRL names its file instead of failing the verifier build.
        for crl in &crls {
            x509_parser::parse_x509_crl(crl.as_ref())
                .map_err(|e| invalid("CRL", path, format!("cannot parse: {e}")))?;
        }
        out.extend(crls);
    }
    Ok(out)
}
