//! Account recovery: "forgot my password" mails a one-time link, the link's
//! token sets a new password; and the notice that a password changed.
//!
//! The rules (docs/CONTRACT.md, "Accounts: recovery and verification"):
//! - a request for an address answers alike whether or not the address
//!   belongs to an active user: only such a user gets a mail, and the
//!   throttle counts every request, known address or not;
//! - the token is stored only as a hash, in the same transaction as the
//!   outbox row of the mail that carries it, and only the newest link works;
//! - a reset uses the token up exactly once (a conditional write), replaces
//!   the password, kills the other links, ends every session, clears the
//!   account's failed-login count, and mails a notice.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::account::{AccountToken, AccountTokenKind, NewAccountToken};
use crate::error::RepositoryError;
use crate::password::Password;
use crate::ports::{
    AccountMail, AccountTokenRepository, Clock, HashError, LoginAttempts, MailComposer,
    OneTimeTokens, Outbox, PasswordHasher, ThrottleKey, UserRepository,
};
use crate::services::actor::Actor;
use crate::services::personal_token_service::PasswordTokenRevocation;
use crate::services::throttle::{RetryAfter, blocked};
use crate::session::ClientInfo;
use crate::time;
use crate::user::{Email, User, UserId, fold_case};

/// Token lifetimes and the limits on recovery requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// How long a password-reset link works.
    pub reset_token_lifetime: Duration,
    /// Requests for one address within `request_window`; 0 turns it off.
    pub max_requests_per_address: u32,
    /// Requests from one client address within `request_window`; 0 off.
    pub max_requests_per_ip: u32,
    pub request_window: Duration,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        Self {
            reset_token_lifetime: Duration::from_secs(30 * 60),
            max_requests_per_address: 5,
            max_requests_per_ip: 20,
            request_window: Duration::from_secs(60 * 60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// The token is unknown, used, revoked, expired, or its user is gone or
    /// inactive: deliberately one answer.
    #[error("invalid or expired token")]
    InvalidToken,
    /// Too many recovery requests for this address or from this client.
    #[error("too many requests")]
    Throttled(RetryAfter),
    /// Only an administrator may send someone else a reset link.
    #[error("not allowed")]
    Forbidden,
    #[error("user not found")]
    NotFound,
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for RecoveryError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable(e) => Self::Unavailable(e),
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<HashError> for RecoveryError {
    fn from(error: HashError) -> Self {
        Self::Unexpected(error.into())
    }
}

/// The ports the account mails need: the token store with its outbox, and
/// the templates. Shared by every use case that mails an account.
#[derive(Clone)]
pub struct AccountMailPorts {
    pub tokens: Arc<dyn AccountTokenRepository>,
    pub one_time_tokens: Arc<dyn OneTimeTokens>,
    pub outbox: Arc<dyn Outbox>,
    pub composer: Arc<dyn MailComposer>,
    /// How long a verification link works.
    pub verification_lifetime: Duration,
}

impl std::fmt::Debug for AccountMailPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountMailPorts").finish_non_exhaustive()
    }
}

impl AccountMailPorts {
    /// Mails `user` a link that proves their current address, stored with
    /// its mail in one step; earlier verification links die.
    pub(crate) async fn send_verification(
        &self,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let token = self.one_time_tokens.generate();
        let message = self.composer.compose(&AccountMail::EmailVerification {
            to: user.email.clone(),
            username: user.username.clone(),
            token: token.clone(),
            valid_for: self.verification_lifetime,
        });
        self.tokens
            .issue(
                NewAccountToken {
                    user_id: user.id,
                    kind: AccountTokenKind::EmailVerification,
                    hash: self.one_time_tokens.hash(&token),
                    email: user.email.clone(),
                    created_at: now,
                    expires_at: time::add_saturating(now, self.verification_lifetime),
                },
                message,
            )
            .await
    }

    /// After a change of address from `before` to `after`: a verification
    /// link to the new address and a notice to the old one.
    pub(crate) async fn email_changed(
        &self,
        before: &User,
        after: &User,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.send_verification(after, now).await?;
        let notice = self.composer.compose(&AccountMail::EmailChanged {
            to: before.email.clone(),
            username: after.username.clone(),
            new_address: after.email.clone(),
            at: now,
        });
        self.outbox.enqueue(notice, now).await?;
        Ok(())
    }

    /// After a password change by any route other than a reset: kills the
    /// reset links already mailed and queues the "password changed" notice.
    pub(crate) async fn password_changed(
        &self,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.tokens
            .revoke_all(user.id, AccountTokenKind::PasswordReset, now)
            .await?;
        let notice = self.composer.compose(&AccountMail::PasswordChanged {
            to: user.email.clone(),
            username: user.username.clone(),
            at: now,
        });
        self.outbox.enqueue(notice, now).await?;
        Ok(())
    }
}

/// Everything [`RecoveryService`] needs.
#[derive(Clone)]
pub struct RecoveryPorts {
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub attempts: Arc<dyn LoginAttempts>,
    pub mail: AccountMailPorts,
    /// What a reset does to the user's personal access tokens.
    pub token_revocation: PasswordTokenRevocation,
    pub clock: Arc<dyn Clock>,
}

/// Forgot-password and reset.
#[derive(Clone)]
pub struct RecoveryService {
    ports: RecoveryPorts,
    policy: RecoveryPolicy,
}

impl RecoveryService {
    pub fn new(ports: RecoveryPorts, policy: RecoveryPolicy) -> Self {
        Self { ports, policy }
    }

    /// Mails a password-reset link to `email` if it is an active user's
    /// address; otherwise does nothing, with the same outcome. The request
    /// counts against the address's and the client's limits either way.
    ///
    /// # Errors
    /// [`RecoveryError::Throttled`] over either limit (checked first, alike
    /// for every address); store failures.
    pub async fn forgot_password(
        &self,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<(), RecoveryError> {
        let now = self.ports.clock.now();
        self.count_request(email, client, now).await?;

        // An '@' never matches a username, so this finds by email only.
        let Some(user) = self.ports.users.find_by_login(email.as_str()).await? else {
            return Ok(());
        };
        if !user.is_active {
            return Ok(());
        }
        self.issue_reset(&user, now).await?;
        Ok(())
    }

    /// An administrator mails `id` a password-reset link (the user's
    /// sessions and password stay as they are until the link is used). An
    /// inactive user gets none, with the same outcome.
    ///
    /// # Errors
    /// [`RecoveryError::Forbidden`] for a non-admin,
    /// [`RecoveryError::NotFound`] for no such user.
    pub async fn admin_password_reset(
        &self,
        actor: Actor,
        id: UserId,
    ) -> Result<(), RecoveryError> {
        if !actor.is_admin {
            return Err(RecoveryError::Forbidden);
        }
        let user = self
            .ports
            .users
            .find_by_id(id)
            .await?
            .ok_or(RecoveryError::NotFound)?;
        if user.is_active {
            self.issue_reset(&user, self.ports.clock.now()).await?;
        }
        Ok(())
    }

    /// Stores a new reset token for `user` with the mail that carries it.
    async fn issue_reset(&self, user: &User, now: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mail = &self.ports.mail;
        let token = mail.one_time_tokens.generate();
        let message = mail.composer.compose(&AccountMail::PasswordReset {
            to: user.email.clone(),
            username: user.username.clone(),
            token: token.clone(),
            valid_for: self.policy.reset_token_lifetime,
        });
        mail.tokens
            .issue(
                NewAccountToken {
                    user_id: user.id,
                    kind: AccountTokenKind::PasswordReset,
                    hash: mail.one_time_tokens.hash(&token),
                    email: user.email.clone(),
                    created_at: now,
                    expires_at: time::add_saturating(now, self.policy.reset_token_lifetime),
                },
                message,
            )
            .await
    }

    /// Mails the caller a fresh verification link (the earlier ones die),
    /// within the same limits as forgot-password requests; an address
    /// already verified gets none, with the same outcome.
    ///
    /// # Errors
    /// [`RecoveryError::Throttled`] over either limit; store failures.
    pub async fn resend_verification(
        &self,
        user: &User,
        client: &ClientInfo,
    ) -> Result<(), RecoveryError> {
        let now = self.ports.clock.now();
        self.count_request(&user.email, client, now).await?;
        if !user.email_verified {
            self.ports.mail.send_verification(user, now).await?;
        }
        Ok(())
    }

    /// Proves the address a verification link was mailed to, if it is still
    /// the user's: the token is used up and the user is verified, in one
    /// step. Returns the user as stored after it.
    ///
    /// # Errors
    /// [`RecoveryError::InvalidToken`] unless the token is live, its user
    /// active, and its address still the user's.
    pub async fn verify_email(&self, token: &AccountToken) -> Result<User, RecoveryError> {
        let mail = &self.ports.mail;
        let hash = mail.one_time_tokens.hash(token);
        let now = self.ports.clock.now();
        let live = mail
            .tokens
            .find_live(&hash, AccountTokenKind::EmailVerification, now)
            .await?
            .ok_or(RecoveryError::InvalidToken)?;
        let user = mail
            .tokens
            .redeem_email_verification(live.id, now)
            .await?
            .ok_or(RecoveryError::InvalidToken)?;
        if user.is_active {
            Ok(user)
        } else {
            Err(RecoveryError::InvalidToken)
        }
    }

    /// Checks and counts one request for `email` from `client` against the
    /// per-address and per-client limits.
    async fn count_request(
        &self,
        email: &Email,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> Result<(), RecoveryError> {
        let attempts = self.ports.attempts.as_ref();
        let window = self.policy.request_window;
        let mut keys = Vec::with_capacity(2);
        if let Some(ip) = &client.ip {
            keys.push((
                ThrottleKey::RecoveryIp(ip.clone()),
                self.policy.max_requests_per_ip,
            ));
        }
        keys.push((
            ThrottleKey::RecoveryAddress(fold_case(email.as_str())),
            self.policy.max_requests_per_address,
        ));
        for (key, limit) in &keys {
            if let Some(wait) = blocked(attempts, key, *limit, window, now).await? {
                return Err(RecoveryError::Throttled(wait));
            }
        }
        let counted: Vec<ThrottleKey> = keys
            .into_iter()
            .filter(|(_, limit)| *limit > 0)
            .map(|(key, _)| key)
            .collect();
        if !counted.is_empty() {
            attempts.record(&counted, now).await?;
        }

        Ok(())
    }

    /// Sets a new password with a reset link's token, and, in the same
    /// step, uses the token up, kills the user's other links, ends all of
    /// their sessions and queues the "password changed" notice; then
    /// clears the account's failed-login count.
    ///
    /// # Errors
    /// [`RecoveryError::InvalidToken`] unless the token is live and its user
    /// active (also for every loser of concurrent redemptions).
    pub async fn reset_password(
        &self,
        token: &AccountToken,
        new_password: &Password,
    ) -> Result<(), RecoveryError> {
        let mail = &self.ports.mail;
        let hash = mail.one_time_tokens.hash(token);
        let looked_up = self.ports.clock.now();
        let live = mail
            .tokens
            .find_live(&hash, AccountTokenKind::PasswordReset, looked_up)
            .await?
            .ok_or(RecoveryError::InvalidToken)?;
        let user = self
            .ports
            .users
            .find_by_id(live.user_id)
            .await?
            .filter(|user| user.is_active)
            .ok_or(RecoveryError::InvalidToken)?;
        let password_hash = self.ports.hasher.hash(new_password).await?;
        // Hashing takes a while: the token must still be live when it is
        // used, so the redemption reads the clock again.
        let now = self.ports.clock.now();
        let notice = mail.composer.compose(&AccountMail::PasswordChanged {
            to: user.email.clone(),
            username: user.username.clone(),
            at: now,
        });
        let updated_at = time::after(now, user.updated_at);
        if !mail
            .tokens
            .redeem_password_reset(live.id, password_hash, updated_at, notice, now)
            .await?
        {
            return Err(RecoveryError::InvalidToken);
        }
        // A step of its own after the reset (which ended the sessions in
        // its own write): a crash in between leaves the tokens live, and
        // the user, who has just proven their address, revokes them.
        self.ports
            .token_revocation
            .password_changed(user.id, now)
            .await?;
        self.ports
            .attempts
            .clear(&ThrottleKey::Account(user.username.as_str().to_lowercase()))
            .await?;
        Ok(())
    }
}
