//! Outgoing mail as the domain sees it: a message (recipient, subject, a
//! text and an HTML part), the outbox it waits in, and the rules for
//! talking about a recipient in logs. No SMTP, no MIME: the mail adapters
//! turn a [`MailMessage`] into whatever their transport needs.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::user::Email;

/// One message to one recipient. The parts may carry a one-time token (a
/// reset or verification link), so `Debug` shows the masked recipient and
/// the subject only.
#[derive(Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: Email,
    pub subject: String,
    /// The `text/plain` part: complete on its own (every link written out).
    pub text: String,
    /// The `text/html` part: the same content, escaped HTML.
    pub html: String,
}

impl fmt::Debug for MailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailMessage")
            .field("to", &mask_address(self.to.as_str()))
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// A recipient address as logs may show it: the first character of the
/// local part, then `***`, then the domain (`a***@example.org`). Never the
/// whole address: a log line is not a list of customers.
#[must_use]
pub fn mask_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// The id of a message in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutboxId(pub i64);

/// A message claimed from the outbox for one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMail {
    pub id: OutboxId,
    pub message: MailMessage,
    /// Delivery attempts so far, this one included (1 on the first).
    pub attempt: u32,
    pub queued_at: DateTime<Utc>,
}

/// What the outbox holds, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxStats {
    /// Waiting for a (first or further) attempt, or being sent right now.
    pub pending: u64,
    /// Delivered and not yet pruned.
    pub sent: u64,
    /// Given up on after the last attempt.
    pub failed: u64,
    /// When the oldest pending message was queued.
    pub oldest_pending: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_masked_to_its_first_letter_and_domain() {
        assert_eq!(mask_address("alice@example.org"), "a***@example.org");
        assert_eq!(mask_address("élodie@exämple.org"), "é***@exämple.org");
        assert_eq!(mask_address("@example.org"), "***@example.org");
        assert_eq!(mask_address("no-at-sign"), "***");
    }

    #[test]
    fn debug_shows_neither_the_parts_nor_the_whole_address() {
        let message = MailMessage {
            to: Email::parse("alice@example.org").unwrap(),
            subject: "Reset your password".into(),
            text: "https://x.test/reset?token=SECRET-TOKEN".into(),
            html: "<a href=\"https://x.test/reset?token=SECRET-TOKEN\">reset</a>".into(),
        };
        let shown = format!("{message:?}");
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
        assert!(!shown.contains("alice@"), "{shown}");
        assert!(shown.contains("a***@example.org") && shown.contains("Reset your password"));
    }
}
