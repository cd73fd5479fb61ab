//! Personal access tokens: a signed-in user makes, lists and revokes them;
//! a request bearing one is authenticated by the hash of its secret.
//!
//! Only a caller who came with an access token (a session) manages tokens:
//! a personal access token cannot make, list or revoke tokens, so a leaked
//! one cannot mint itself successors.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use crate::credential::Credential;
use crate::error::RepositoryError;
use crate::personal_token::{
    NewPersonalToken, PersonalToken, PersonalTokenId, PersonalTokenSecret, TokenName, TokenScopes,
};
use crate::ports::{Clock, PersonalTokenRepository, PersonalTokenSecrets};
use crate::services::auth_service::{AuthenticateError, Authenticated};
use crate::time;
use crate::user::UserId;

/// Limits on personal access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonalTokenPolicy {
    /// The most unrevoked tokens a user may hold (expired ones count until
    /// revoked): a bound on what one account can make the store keep.
    pub max_per_user: usize,
    /// `last_used_at` moves at most once per this interval per token, so
    /// that a busy script does not write on every request.
    pub use_interval: Duration,
    /// Revoke every token of a user whose password changes or is reset
    /// (`REVOKE_PATS_ON_PASSWORD_CHANGE`).
    pub revoke_on_password_change: bool,
}

impl Default for PersonalTokenPolicy {
    fn default() -> Self {
        Self {
            max_per_user: 100,
            use_interval: Duration::from_secs(60),
            revoke_on_password_change: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PersonalTokenError {
    /// No unrevoked token of the caller has that id (someone else's
    /// included).
    #[error("token not found")]
    NotFound,
    /// The caller came with a personal access token, which cannot manage
    /// tokens.
    #[error("a personal access token cannot manage tokens")]
    PersonalToken,
    /// The caller already holds [`PersonalTokenPolicy::max_per_user`]
    /// unrevoked tokens.
    #[error("too many personal access tokens: revoke one first")]
    TooMany { max: usize },
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for PersonalTokenError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable(e) => Self::Unavailable(e),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// What a request to make a token asks for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: TokenName,
    pub scopes: TokenScopes,
    /// `None`: the token never expires.
    pub expires_in: Option<Duration>,
}

/// A token just made: the secret is here and never again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeToken {
    pub token: PersonalToken,
    pub secret: PersonalTokenSecret,
}

/// The caller of a request that bore a personal access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCaller {
    pub authenticated: Authenticated,
    pub scopes: TokenScopes,
}

/// Personal access tokens for the signed-in user, and authentication by one.
#[derive(Clone)]
pub struct PersonalTokenService {
    tokens: Arc<dyn PersonalTokenRepository>,
    secrets: Arc<dyn PersonalTokenSecrets>,
    clock: Arc<dyn Clock>,
    policy: PersonalTokenPolicy,
}

impl PersonalTokenService {
    pub fn new(
        tokens: Arc<dyn PersonalTokenRepository>,
        secrets: Arc<dyn PersonalTokenSecrets>,
        clock: Arc<dyn Clock>,
        policy: PersonalTokenPolicy,
    ) -> Self {
        Self {
            tokens,
            secrets,
            clock,
            policy,
        }
    }

    /// Makes a token for the caller.
    ///
    /// # Errors
    /// [`PersonalTokenError::PersonalToken`] for a token's caller;
    /// [`PersonalTokenError::TooMany`] at the limit.
    pub async fn create(
        &self,
        caller: &Authenticated,
        request: TokenRequest,
    ) -> Result<MadeToken, PersonalTokenError> {
        let user = managing_user(caller)?;
        let held = self.tokens.list(user).await?.len();
        if held >= self.policy.max_per_user {
            return Err(PersonalTokenError::TooMany {
                max: self.policy.max_per_user,
            });
        }
        let secret = self.secrets.generate();
        let now = self.clock.now();
        let token = self
            .tokens
            .create(NewPersonalToken {
                user_id: user,
                name: request.name,
                scopes: request.scopes,
                hash: self.secrets.hash(secret.expose()),
                created_at: now,
                expires_at: request
                    .expires_in
                    .map(|lifetime| time::add_saturating(now, lifetime)),
            })
            .await?;
        Ok(MadeToken { token, secret })
    }

    /// The caller's unrevoked tokens, newest first.
    ///
    /// # Errors
    /// [`PersonalTokenError::PersonalToken`] for a token's caller.
    pub async fn list(
        &self,
        caller: &Authenticated,
    ) -> Result<Vec<PersonalToken>, PersonalTokenError> {
        Ok(self.tokens.list(managing_user(caller)?).await?)
    }

    /// Revokes one of the caller's tokens: refused from the next request on.
    ///
    /// # Errors
    /// [`PersonalTokenError::NotFound`] unless it is an unrevoked token of
    /// the caller's; [`PersonalTokenError::PersonalToken`] for a token's
    /// caller.
    pub async fn revoke(
        &self,
        caller: &Authenticated,
        id: PersonalTokenId,
    ) -> Result<(), PersonalTokenError> {
        let user = managing_user(caller)?;
        if self.tokens.revoke(user, id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(PersonalTokenError::NotFound)
        }
    }

    /// The user and token a bearer `pat_…` secret stands for, if the token
    /// is live and its user active; records its use (at most once per
    /// [`PersonalTokenPolicy::use_interval`]).
    ///
    /// # Errors
    /// [`AuthenticateError::InvalidToken`] for an unknown, revoked or
    /// expired token, or a deleted or deactivated user.
    pub async fn authenticate(&self, secret: &str) -> Result<TokenCaller, AuthenticateError> {
        let now = self.clock.now();
        let (token, user) = self
            .tokens
            .find_live(&self.secrets.hash(secret), now)
            .await?
            .ok_or(AuthenticateError::InvalidToken)?;
        let interval = TimeDelta::from_std(self.policy.use_interval).unwrap_or(TimeDelta::MAX);
        let not_since = now.checked_sub_signed(interval).unwrap_or(now);
        if token.last_used_at.is_none_or(|used| used < not_since) {
            // Conditional: of instances racing here, one writes.
            self.tokens.touch(token.id, now, not_since).await?;
        }
        Ok(TokenCaller {
            authenticated: Authenticated {
                user,
                credential: Credential::PersonalToken(token.id),
            },
            scopes: token.scopes,
        })
    }
}

/// The user of a caller who may manage tokens: one who came with a session.
fn managing_user(caller: &Authenticated) -> Result<UserId, PersonalTokenError> {
    match caller.credential {
        Credential::Session(_) => Ok(caller.user.id),
        Credential::PersonalToken(_) => Err(PersonalTokenError::PersonalToken),
    }
}

/// What a new password does to the user's personal access tokens: revokes
/// them all when [`PersonalTokenPolicy::revoke_on_password_change`]. Shared
/// by every use case that sets a password (a change, a reset).
#[derive(Clone)]
pub struct PasswordTokenRevocation {
    pub tokens: Arc<dyn PersonalTokenRepository>,
    pub enabled: bool,
}

impl std::fmt::Debug for PasswordTokenRevocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordTokenRevocation")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl PasswordTokenRevocation {
    /// After `user`'s password changed at `now`.
    pub(crate) async fn password_changed(
        &self,
        user: UserId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), RepositoryError> {
        if self.enabled {
            self.tokens.revoke_all(user, now).await?;
        }
        Ok(())
    }
}
