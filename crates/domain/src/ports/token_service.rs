//! Access tokens.

use std::fmt;

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
#[cfg_attr(test, mockall::automock)]
pub trait TokenService: Send + Sync {
    /// # Errors
    /// [`TokenError::Unexpected`] when signing fails.
    fn issue(&self, user: UserId) -> Result<IssuedToken, TokenError>;

    /// The user the token was issued to.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for any token this service did not issue or
    /// that is no longer (or not yet) valid.
    fn verify(&self, token: &str) -> Result<UserId, TokenError>;
}
