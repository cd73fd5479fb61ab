//! One-time account tokens: the secret in a password-reset or an
//! email-verification link. The clear token only ever travels in the mail
//! (through the outbox) and back in the request that redeems it; the store
//! keeps its hash.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::user::{Email, UserId};

/// What a token may be redeemed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountTokenKind {
    PasswordReset,
    EmailVerification,
}

impl AccountTokenKind {
    /// The name stored in the `kind` column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
        }
    }

    /// The kind stored as `name`, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "password_reset" => Some(Self::PasswordReset),
            "email_verification" => Some(Self::EmailVerification),
            _ => None,
        }
    }
}

/// A one-time token in clear. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountToken(String);

impl AccountToken {
    #[must_use]
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The token itself: for the link in a mail and nothing else.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccountToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountToken(<redacted>)")
    }
}

/// The one-way hash of an [`AccountToken`], as stored. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountTokenHash(String);

impl AccountTokenHash {
    #[must_use]
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccountTokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountTokenHash(<redacted>)")
    }
}

/// The id of a stored account token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountTokenId(pub i64);

/// A token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountToken {
    pub user_id: UserId,
    pub kind: AccountTokenKind,
    pub hash: AccountTokenHash,
    /// The address the link was mailed to: a verification proves this
    /// address, and only while it is still the user's.
    pub email: Email,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A stored token that can still be redeemed: neither used, nor revoked, nor
/// expired at the time it was looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAccountToken {
    pub id: AccountTokenId,
    pub user_id: UserId,
    pub kind: AccountTokenKind,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
}
