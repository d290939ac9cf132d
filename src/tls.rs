//! TLS with rustls and its ring provider everywhere: HTTPS served directly,
//! MySQL over verified TLS, `rediss://` Redis, each with an optional CA.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use mysql_async::{Opts, OptsBuilder, SslOpts};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// One crypto provider for the whole process (ring), whoever asks first.
pub fn install_crypto_provider() {
    // An error only says a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTPS configuration from PEM files: the certificate chain and its key.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("TLS_CERT {}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("TLS_KEY {}", key.display()))?;
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("TLS_CERT and TLS_KEY do not make a certificate and its key")?;
    Ok(config)
}

/// `DATABASE_URL`'s options, trusting `DATABASE_CA_FILE` besides the
/// usual roots when the URL asks for TLS (`require_ssl=true`).
pub fn mysql_opts(url: &str, ca_file: Option<&Path>) -> anyhow::Result<Opts> {
    let opts = Opts::from_url(url).context("DATABASE_URL")?;
    let Some(ca_file) = ca_file else {
        return Ok(opts);
    };
    let ssl = opts
        .ssl_opts()
        .cloned()
        .unwrap_or_else(SslOpts::default)
        .with_root_certs(vec![ca_file.to_path_buf().into()]);
    Ok(OptsBuilder::from_opts(opts).ssl_opts(Some(ssl)).into())
}

/// A Redis client for `REDIS_URL`; with `REDIS_CA_FILE`, a `rediss://`
/// connection trusts that CA (instead of the system's roots).
pub fn redis_client(url: &str, ca_file: Option<&Path>) -> anyhow::Result<redis::Client> {
    match redis_certificates(ca_file)? {
        Some(certificates) => Ok(redis::Client::build_with_tls(url, certificates)?),
        None => Ok(redis::Client::open(url)?),
    }
}

/// `REDIS_CA_FILE` as the redis crate takes it, for one server or a cluster.
pub fn redis_certificates(
    ca_file: Option<&Path>,
) -> anyhow::Result<Option<redis::TlsCertificates>> {
    let Some(ca_file) = ca_file else {
        return Ok(None);
    };
    let root_cert =
        std::fs::read(ca_file).with_context(|| format!("REDIS_CA_FILE {}", ca_file.display()))?;
    Ok(Some(redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_cert),
    }))
}
