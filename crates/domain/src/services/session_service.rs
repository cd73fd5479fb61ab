//! The caller's sessions: logout, listing, ending one, and changing the
//! password (which ends every other session, kills the reset links already
//! mailed, and mails a notice).

use std::sync::Arc;

use crate::error::RepositoryError;
use crate::password::Password;
use crate::ports::{
    Clock, HashError, LoginAttempts, PasswordHasher, SessionRepository, ThrottleKey, UserRepository,
};
use crate::services::auth_service::Authenticated;
use crate::services::personal_token_service::PasswordTokenRevocation;
use crate::services::recovery_service::AccountMailPorts;
use crate::services::throttle::{RetryAfter, ThrottlePolicy, blocked};
use crate::session::{Session, SessionId};
use crate::time;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No active session of the caller has that id (someone else's included).
    #[error("session not found")]
    NotFound,
    /// The current password given to a password change is wrong.
    #[error("the current password is incorrect")]
    WrongPassword,
    /// Too many wrong passwords for this account (failed logins and failed
    /// password changes count together).
    #[error("too many failed password attempts")]
    Throttled(RetryAfter),
    /// The caller authenticated with a personal access token, which may
    /// not manage sessions or the password.
    #[error("a personal access token cannot manage the account")]
    PersonalToken,
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for SessionError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable(e) => Self::Unavailable(e),
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<HashError> for SessionError {
    fn from(error: HashError) -> Self {
        Self::Unexpected(error.into())
    }
}

/// Everything [`SessionService`] needs.
#[derive(Clone)]
pub struct SessionPorts {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    /// The login throttle's: a wrong current password counts as a failed
    /// login of the account.
    pub attempts: Arc<dyn LoginAttempts>,
    /// Revokes the reset links and queues the notice of a password change.
    pub mail: AccountMailPorts,
    /// What a password change does to the user's personal access tokens.
    pub token_revocation: PasswordTokenRevocation,
    pub clock: Arc<dyn Clock>,
}

/// Session management for the authenticated caller.
#[derive(Clone)]
pub struct SessionService {
    ports: SessionPorts,
    /// The login throttle's limits.
    throttle: ThrottlePolicy,
}

impl SessionService {
    pub fn new(ports: SessionPorts, throttle: ThrottlePolicy) -> Self {
        Self { ports, throttle }
    }

    /// Ends the caller's current session, or all of their sessions.
    ///
    /// # Errors
    /// [`SessionError::PersonalToken`] for a personal access token's
    /// caller; otherwise only infrastructure failures.
    pub async fn logout(&self, caller: &Authenticated, all: bool) -> Result<(), SessionError> {
        let current = session_of(caller)?;
        let now = self.ports.clock.now();
        if all {
            self.ports
                .sessions
                .revoke_all(caller.user.id, None, now)
                .await?;
        } else {
            self.ports
                .sessions
                .revoke(caller.user.id, current, now)
                .await?;
        }
        Ok(())
    }

    /// The caller's live sessions, newest first.
    ///
    /// # Errors
    /// [`SessionError::PersonalToken`] for a personal access token's
    /// caller; otherwise only infrastructure failures.
    pub async fn list(&self, caller: &Authenticated) -> Result<Vec<Session>, SessionError> {
        session_of(caller)?;
        Ok(self
            .ports
            .sessions
            .list_active(caller.user.id, self.ports.clock.now())
            .await?)
    }

    /// Ends one of the caller's sessions.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] unless it is a live session of the caller's;
    /// [`SessionError::PersonalToken`] for a personal access token's caller.
    pub async fn end(&self, caller: &Authenticated, id: SessionId) -> Result<(), SessionError> {
        session_of(caller)?;
        if self
            .ports
            .sessions
            .revoke(caller.user.id, id, self.ports.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(SessionError::NotFound)
        }
    }

    /// Replaces the caller's password after checking the current one, ends
    /// every other session of theirs (and, by the policy, their personal
    /// access tokens), kills their password-reset links and queues the
    /// "password changed" notice.
    ///
    /// # Errors
    /// [`SessionError::WrongPassword`] when `current` does not match (which
    /// counts as a failed login of the account);
    /// [`SessionError::Throttled`] when the account has too many recent
    /// failures (checked before the password);
    /// [`SessionError::PersonalToken`] for a personal access token's caller.
    pub async fn change_password(
        &self,
        caller: &Authenticated,
        current: &Password,
        new: &Password,
    ) -> Result<(), SessionError> {
        let this_session = session_of(caller)?;
        // The same per-account counter as failed logins: a stolen access
        // token must not buy unlimited guesses at the password.
        let account = ThrottleKey::Account(caller.user.username.as_str().to_lowercase());
        let started = self.ports.clock.now();
        if let Some(wait) = blocked(
            self.ports.attempts.as_ref(),
            &account,
            self.throttle.max_failures_per_account,
            self.throttle.failure_window,
            started,
        )
        .await?
        {
            return Err(SessionError::Throttled(wait));
        }
        if !self
            .ports
            .hasher
            .verify(current, &caller.user.password_hash)
            .await?
        {
            if self.throttle.max_failures_per_account > 0 {
                self.ports.attempts.record(&[account], started).await?;
            }
            return Err(SessionError::WrongPassword);
        }
        let hash = self.ports.hasher.hash(new).await?;
        let now = time::after(self.ports.clock.now(), caller.user.updated_at);
        if !self
            .ports
            .users
            .set_password(caller.user.id, hash, now)
            .await?
        {
            return Err(SessionError::NotFound);
        }
        self.ports
            .sessions
            .revoke_all(caller.user.id, Some(this_session), now)
            .await?;
        self.ports
            .token_revocation
            .password_changed(caller.user.id, now)
            .await?;
        // Due at the clock's time (`now` may be a microsecond past it).
        self.ports
            .mail
            .password_changed(&caller.user, self.ports.clock.now())
            .await?;
        Ok(())
    }
}

/// The session of a caller who came with an access token.
///
/// # Errors
/// [`SessionError::PersonalToken`] for a personal access token's caller
/// (the HTTP layer refuses those requests first; this keeps the rule in
/// the domain too).
fn session_of(caller: &Authenticated) -> Result<SessionId, SessionError> {
    caller
        .credential
        .session()
        .ok_or(SessionError::PersonalToken)
}
