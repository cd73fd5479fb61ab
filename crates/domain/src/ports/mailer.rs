//! Sending one message: the outbound mail port.

use async_trait::async_trait;

use crate::mail::MailMessage;

/// Why a message was not delivered.
///
/// The error's text is logged and stored with the outbox row, so an
/// adapter MUST NOT put the message's parts (they may hold a token) or the
/// full recipient address in it.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth retrying: the server could not be reached, timed out, or
    /// answered a temporary (4xx) refusal.
    #[error("temporary mail failure: {0:#}")]
    Transient(#[source] anyhow::Error),
    /// Retrying cannot help: the server refused the message or the
    /// recipient for good (5xx), or the message cannot be encoded.
    #[error("permanent mail failure: {0:#}")]
    Permanent(#[source] anyhow::Error),
}

/// Delivers messages: SMTP in production, `.eml` files in development, a
/// list in memory in tests.
///
/// `send` returns once the message is handed over for good (the SMTP server
/// accepted it, the file is written): the outbox marks it sent on `Ok` and
/// never sends it again. An implementation MUST bound the time it takes
/// (connection and command timeouts), so that a dead server delays the
/// outbox instead of stalling it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError>;
}
