//! The production [`Mailer`]: one SMTP conversation per message through
//! lettre's tokio transport (rustls with aws-lc, Mozilla's roots plus any
//! configured root). No connection pool: the outbox sends a few messages at
//! a time, and a fresh connection per message makes an outage and its end
//! plain to see.
//!
//! Errors are sorted for the outbox: what a retry may cure is
//! [`MailError::Transient`], what it cannot is [`MailError::Permanent`]. Their
//! text is stored with the outbox row, so the recipient appears masked (a
//! server often quotes it in a refusal) and the parts never appear.

use std::time::Duration;

use async_trait::async_trait;
use domain::MailMessage;
use domain::mask_address;
use domain::ports::{MailError, Mailer};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::response::Code;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::message;
use crate::smtp_settings::{SmtpSecurity, SmtpSettings};

/// Sends each message over SMTP. Cheap to share: it holds the settings and
/// opens a connection per `send`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// `host:port`, for log lines and errors.
    server: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why an [`SmtpMailer`] could not be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum SmtpMailerError {
    /// The extra root certificate is not a PEM certificate.
    #[error("the SMTP root certificate is not a valid PEM certificate: {0}")]
    RootCertificate(String),
    /// rustls refused the TLS configuration.
    #[error("the TLS configuration for the SMTP server cannot be built: {0}")]
    Tls(#[source] lettre::transport::smtp::Error),
}

impl SmtpMailer {
    /// A mailer that sends as `from` (`MAIL_FROM`) to the server of
    /// `settings`. Nothing is sent or connected yet.
    ///
    /// # Errors
    /// [`SmtpMailerError::RootCertificate`] when the configured extra root
    /// is not PEM; [`SmtpMailerError::Tls`] when rustls refuses the setup.
    pub fn new(settings: &SmtpSettings, from: Mailbox) -> Result<Self, SmtpMailerError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host())
            .port(settings.port())
            .timeout(Some(settings.timeout()));
        builder = match settings.security() {
            SmtpSecurity::ImplicitTls => builder.tls(Tls::Wrapper(tls_parameters(settings)?)),
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls_parameters(settings)?)),
            SmtpSecurity::None => builder.tls(Tls::None),
        };
        if let Some(credentials) = settings.credentials() {
            builder = builder
                .credentials(Credentials::new(
                    credentials.user().to_owned(),
                    credentials.expose_password().to_owned(),
                ))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Self {
            transport: builder.build(),
            from,
            timeout: settings.timeout(),
            server: format!("{}:{}", settings.host(), settings.port()),
        })
    }
}

fn tls_parameters(settings: &SmtpSettings) -> Result<TlsParameters, SmtpMailerError> {
    let mut builder = TlsParameters::builder(settings.host().to_owned());
    if let Some(pem) = settings.extra_root_pem() {
        // lettre reads no certificate at all from text without a PEM block,
        // and would go on with Mozilla's roots alone: say so instead.
        const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
        if !pem.windows(BEGIN.len()).any(|window| window == BEGIN) {
            return Err(SmtpMailerError::RootCertificate(
                "no -----BEGIN CERTIFICATE----- block".to_owned(),
            ));
        }
        let certificate = Certificate::from_pem(pem)
            .map_err(|error| SmtpMailerError::RootCertificate(error.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(SmtpMailerError::Tls)
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let recipient = message.to.as_str();
        let masked = mask_address(recipient);
        let email = message::build(&self.from, message)?;
        // lettre bounds the TCP connect only; a server that accepts and then
        // stays silent would hold the outbox forever without this.
        match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
            Ok(Ok(_response)) => {
                tracing::info!(to = %masked, server = %self.server, "mail sent over SMTP");
                Ok(())
            }
            Ok(Err(error)) => Err(classify(&error, &self.server, recipient)),
            Err(_elapsed) => Err(MailError::Transient(anyhow::anyhow!(
                "no complete answer from SMTP server {} within {:?} sending to {masked}",
                self.server,
                self.timeout
            ))),
        }
    }
}

/// Sorts a lettre error for the outbox (see the module doc).
fn classify(error: &lettre::transport::smtp::Error, server: &str, recipient: &str) -> MailError {
    let masked = mask_address(recipient);
    let text = redact(&error.to_string(), recipient, &masked);
    let what = format!("SMTP server {server} sending to {masked}: {text}");
    match error.status() {
        Some(code) if is_refused_credentials(code) => MailError::Transient(anyhow::anyhow!(
            "{what} (the server refused this service's login or TLS: check SMTP_URL)"
        )),
        Some(_) if error.is_permanent() => MailError::Permanent(anyhow::anyhow!(what)),
        // 4xx, no connection, TLS, a timeout, a broken or odd conversation:
        // nothing wrong with the message itself.
        _ => MailError::Transient(anyhow::anyhow!(what)),
    }
}

/// 530, 534, 535 and 538 (RFC 4954) answer AUTH or its absence: they refuse
/// this service's credentials or TLS setup, not the message. That is a fault
/// of the configuration, which an operator fixes, and the mail should still
/// go out after the fix instead of having failed for good.
fn is_refused_credentials(code: Code) -> bool {
    matches!(code.to_string().as_str(), "530" | "534" | "535" | "538")
}

/// `text` with every occurrence of `recipient` (ASCII case-insensitive)
/// replaced by `masked`.
fn redact(text: &str, recipient: &str, masked: &str) -> String {
    if recipient.is_empty() {
        return text.to_owned();
    }
    let haystack = text.to_ascii_lowercase();
    let needle = recipient.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    // ASCII lower-casing keeps byte offsets, so indices found in `haystack`
    // cut `text` at the same (character) boundaries.
    for (start, _) in haystack.match_indices(&needle) {
        if start < rest {
            continue;
        }
        out.push_str(&text[rest..start]);
        out.push_str(masked);
        rest = start + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipient_is_redacted_whatever_its_case() {
        let text =
            "permanent error (550): 5.1.1 <Alice@Example.org>: unknown; alice@example.org again";
        let redacted = redact(text, "alice@example.org", "a***@example.org");
        assert_eq!(
            redacted,
            "permanent error (550): 5.1.1 <a***@example.org>: unknown; a***@example.org again"
        );
        assert_eq!(redact("é ü", "alice@example.org", "x"), "é ü");
    }

    #[test]
    fn credential_refusals_are_told_apart_from_other_5xx() {
        let code = |text: &str| -> Code {
            format!("{text} x\r\n")
                .parse::<lettre::transport::smtp::response::Response>()
                .unwrap()
                .code()
        };
        for refused in ["530", "534", "535", "538"] {
            assert!(is_refused_credentials(code(refused)), "{refused}");
        }
        for other in [
            "550", "551", "552", "553", "554", "500", "501", "503", "451", "454",
        ] {
            assert!(!is_refused_credentials(code(other)), "{other}");
        }
    }

    #[test]
    fn debug_shows_server_and_sender_only() {
        let settings =
            SmtpSettings::from_url("smtp://user:hunter2-secret@mail.example.org?tls=none").unwrap();
        let mailer = SmtpMailer::new(
            &settings,
            "Todo API <no-reply@example.org>".parse().unwrap(),
        )
        .unwrap();
        let shown = format!("{mailer:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("mail.example.org:25"), "{shown}");
    }

    #[test]
    fn a_root_certificate_that_is_not_pem_is_refused() {
        let settings = SmtpSettings::from_url("smtps://mail.example.org")
            .unwrap()
            .with_root_certificate_pem(b"not a certificate".to_vec());
        let error = SmtpMailer::new(&settings, "a@example.org".parse().unwrap()).unwrap_err();
        assert!(
            matches!(error, SmtpMailerError::RootCertificate(_)),
            "{error}"
        );
    }
}
