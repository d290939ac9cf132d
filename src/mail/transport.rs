//! Where a message goes: an SMTP server (lettre, over rustls with the ring
//! provider), or a folder that gets one `.eml` file per message. Every
//! exchange is bounded by `MAIL_TIMEOUT_SECS` as a whole: lettre's own
//! timeout covers connecting only, and a server that accepts and then says
//! nothing would otherwise hold a send forever.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::config::{MailSettings, MailUrl, SmtpSecurity};

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(PathBuf),
}

/// Where a sent message went, for the log.
pub enum Delivered {
    Smtp,
    File(PathBuf),
}

impl Transport {
    /// Fails fast, naming the setting: a CA that does not load, a folder
    /// that cannot be made.
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        match &settings.url {
            MailUrl::File(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("MAIL_URL: cannot make the folder {}", dir.display())
                })?;
                Ok(Self::File(dir.clone()))
            }
            MailUrl::Smtp(server) => {
                let mut tls = TlsParameters::builder(server.host.clone());
                if let Some(ca_file) = &settings.ca_file {
                    tls = tls.add_root_certificate(read_ca(ca_file)?);
                }
                let tls = tls.build_rustls().context("MAIL_URL: TLS parameters")?;
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.as_str())
                        .port(server.port)
                        .timeout(Some(settings.timeout))
                        .tls(match server.security {
                            SmtpSecurity::Opportunistic => Tls::Opportunistic(tls),
                            SmtpSecurity::Required => Tls::Required(tls),
                            SmtpSecurity::Wrapper => Tls::Wrapper(tls),
                        });
                if let Some((user, password)) = &server.credentials {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Self::Smtp(builder.build()))
            }
        }
    }

    /// Sends one message, giving up after `timeout`.
    pub async fn send(&self, message: Message, timeout: Duration) -> Result<Delivered, String> {
        let sending = async {
            match self {
                Self::Smtp(smtp) => smtp
                    .send(message)
                    .await
                    .map(|_| Delivered::Smtp)
                    .map_err(|error| describe(&error)),
                Self::File(dir) => {
                    // Made again should someone have removed it meanwhile.
                    tokio::fs::create_dir_all(dir)
                        .await
                        .map_err(|error| format!("{}: {error}", dir.display()))?;
                    let id = AsyncFileTransport::<Tokio1Executor>::new(dir)
                        .send(message)
                        .await
                        .map_err(|error| error.to_string())?;
                    Ok(Delivered::File(dir.join(format!("{id}.eml"))))
                }
            }
        };
        tokio::time::timeout(timeout, sending)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", timeout.as_secs())))
    }
}

/// An SMTP failure for the log: a server's answer only by its code, since
/// its text may quote the recipient's address.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    match error.status() {
        Some(code) => format!("the server answered {code}"),
        None => error.to_string(),
    }
}

fn read_ca(path: &Path) -> anyhow::Result<Certificate> {
    let pem = std::fs::read(path).with_context(|| format!("MAIL_CA_FILE {}", path.display()))?;
    // lettre takes a file without a certificate as an empty list.
    let found = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_or(0, |certificates| certificates.len());
    if found == 0 {
        anyhow::bail!("MAIL_CA_FILE {} holds no PEM certificate", path.display());
    }
    Certificate::from_pem(&pem).with_context(|| format!("MAIL_CA_FILE {}", path.display()))
}
