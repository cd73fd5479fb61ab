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

/// Session management for the authenticated caller.
#[derive(Clone)]
pub struct SessionService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    attempts: Arc<dyn LoginAttempts>,
    throttle: ThrottlePolicy,
    mail: AccountMailPorts,
    clock: Arc<dyn Clock>,
}

impl SessionService {
    /// `attempts` and `throttle` are the login throttle's: a wrong current
    /// password counts as a failed login of the account. `mail` revokes the
    /// reset links and queues the notice of a password change.
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        attempts: Arc<dyn LoginAttempts>,
        throttle: ThrottlePolicy,
        mail: AccountMailPorts,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            attempts,
            throttle,
            mail,
            clock,
        }
    }

    /// Ends the caller's current session, or all of their sessions.
    ///
    /// # Errors
    /// Only infrastructure failures.
    pub async fn logout(&self, caller: &Authenticated, all: bool) -> Result<(), SessionError> {
        let now = self.clock.now();
        if all {
            self.sessions.revoke_all(caller.user.id, None, now).await?;
        } else {
            self.sessions
                .revoke(caller.user.id, caller.session, now)
                .await?;
        }
        Ok(())
    }

    /// The caller's live sessions, newest first.
    ///
    /// # Errors
    /// Only infrastructure failures.
    pub async fn list(&self, caller: &Authenticated) -> Result<Vec<Session>, SessionError> {
        Ok(self
            .sessions
            .list_active(caller.user.id, self.clock.now())
            .await?)
    }

    /// Ends one of the caller's sessions.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] unless it is a live session of the caller's.
    pub async fn end(&self, caller: &Authenticated, id: SessionId) -> Result<(), SessionError> {
        if self
            .sessions
            .revoke(caller.user.id, id, self.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(SessionError::NotFound)
        }
    }

    /// Replaces the caller's password after checking the current one, ends
    /// every other session of theirs, kills their password-reset links and
    /// queues the "password changed" notice.
    ///
    /// # Errors
    /// [`SessionError::WrongPassword`] when `current` does not match (which
    /// counts as a failed login of the account);
    /// [`SessionError::Throttled`] when the account has too many recent
    /// failures (checked before the password).
    pub async fn change_password(
        &self,
        caller: &Authenticated,
        current: &Password,
        new: &Password,
    ) -> Result<(), SessionError> {
        // The same per-account counter as failed logins: a stolen access
        // token must not buy unlimited guesses at the password.
        let account = ThrottleKey::Account(caller.user.username.as_str().to_lowercase());
        let started = self.clock.now();
        if let Some(wait) = blocked(
            self.attempts.as_ref(),
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
            .hasher
            .verify(current, &caller.user.password_hash)
            .await?
        {
            if self.throttle.max_failures_per_account > 0 {
                self.attempts.record(&[account], started).await?;
            }
            return Err(SessionError::WrongPassword);
        }
        let hash = self.hasher.hash(new).await?;
        let now = time::after(self.clock.now(), caller.user.updated_at);
        if !self.users.set_password(caller.user.id, hash, now).await? {
            return Err(SessionError::NotFound);
        }
        self.sessions
            .revoke_all(caller.user.id, Some(caller.session), now)
            .await?;
        // Due at the clock's time (`now` may be a microsecond past it).
        self.mail
            .password_changed(&caller.user, self.clock.now())
            .await?;
        Ok(())
    }
}
