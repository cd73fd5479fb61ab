//! Writing the mails the account rules send: the templates, behind a port.

use chrono::{DateTime, Utc};
use std::time::Duration;

use crate::account::AccountToken;
use crate::mail::MailMessage;
use crate::user::{Email, Username};

/// A mail the account rules send, with what its template needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountMail {
    /// A link to set a new password, valid for `valid_for`.
    PasswordReset {
        to: Email,
        username: Username,
        token: AccountToken,
        valid_for: Duration,
    },
    /// "Your password was changed" (by a reset or a change), with no link.
    PasswordChanged {
        to: Email,
        username: Username,
        at: DateTime<Utc>,
    },
    /// A link that proves `to` is the user's, valid for `valid_for`.
    EmailVerification {
        to: Email,
        username: Username,
        token: AccountToken,
        valid_for: Duration,
    },
    /// To the old address: the account's address became `new_address`.
    EmailChanged {
        to: Email,
        username: Username,
        new_address: Email,
        at: DateTime<Utc>,
    },
}

/// Turns an [`AccountMail`] into a message: subject, text and HTML parts,
/// the product's name, and links built from the configured URL templates.
///
/// An implementation MUST put the token (if any) in the link of both parts,
/// HTML-escape everything it writes into the HTML part, and put nothing
/// secret in the message other than the token.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait MailComposer: Send + Sync {
    fn compose(&self, mail: &AccountMail) -> MailMessage;
}
