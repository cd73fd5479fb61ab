//! Access tokens.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::session::SessionId;
use crate::user::UserId;

/// A signed access token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    #[must_use]
    pub fn new(token: String) -> Self {
        Self(token)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// A token and how many seconds it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: AccessToken,
    pub expires_in: u64,
}

/// What an access token says. Issuing is a pure function of these claims:
/// the same claims give the very same token (a refresh replayed within the
/// grace window answers the same pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user: UserId,
    pub session: SessionId,
    /// `iat` and `nbf`; `exp` is this plus the configured lifetime.
    pub issued_at: DateTime<Utc>,
    /// `jti`: unique per token.
    pub token_id: String,
}

/// Who a verified access token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedAccess {
    pub user: UserId,
    pub session: SessionId,
}

/// Why a token was refused or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Bad signature, wrong algorithm, expired, not yet valid, malformed,
    /// missing or ill-typed claims: anything a client can cause.
    #[error("invalid token")]
    Invalid,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Issues and verifies access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenService: Send + Sync {
    /// # Errors
    /// [`TokenError::Unexpected`] when signing fails.
    fn issue(&self, claims: &AccessClaims) -> Result<IssuedToken, TokenError>;

    /// The user and session the token was issued to.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for any token this service did not issue or
    /// that is no longer (or not yet) valid.
    fn verify(&self, token: &str) -> Result<VerifiedAccess, TokenError>;
}
