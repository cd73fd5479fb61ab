//! One-time account tokens: making them, and the store that keeps their
//! hashes and redeems them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::{
    AccountToken, AccountTokenHash, AccountTokenId, AccountTokenKind, LiveAccountToken,
    NewAccountToken,
};
use crate::error::RepositoryError;
use crate::mail::MailMessage;
use crate::password::PasswordHash;
use crate::user::{User, UserId};

/// Token material for reset and verification links.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait OneTimeTokens: Send + Sync {
    /// A new token: at least 256 random bits, URL-safe.
    fn generate(&self) -> AccountToken;

    /// The one-way hash the store keeps (deterministic, so a presented
    /// token is found by its hash).
    fn hash(&self, token: &AccountToken) -> AccountTokenHash;
}

/// Stores account tokens (by hash, never in clear) with the mail that
/// carries them, and redeems them once.
///
/// Every method that writes more than one thing MUST write all of it in one
/// transaction (or, for a store without transactions, under one lock): a
/// crash never leaves a token without its mail, a used token with the old
/// password, or a reset password with live sessions. The mail goes into the
/// same store's outbox ([`crate::ports::Outbox`]).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountTokenRepository: Send + Sync {
    /// Revokes every live token of `token.user_id` of `token.kind`, stores
    /// `token`, and queues `mail` (due at `token.created_at`), atomically:
    /// only the newest link of a kind works.
    async fn issue(&self, token: NewAccountToken, mail: MailMessage)
    -> Result<(), RepositoryError>;

    /// The token of `kind` with this hash if it is live at `now`: not used,
    /// not revoked, `expires_at` after `now`. `None` for any other token.
    async fn find_live(
        &self,
        hash: &AccountTokenHash,
        kind: AccountTokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveAccountToken>, RepositoryError>;

    /// Redeems a password-reset token, atomically:
    /// - marks `token` used, only if it is still live at `now` (one
    ///   conditional write: of any number of concurrent redemptions of one
    ///   token, on any instance, exactly one returns `Ok(true)`);
    /// - replaces its user's password hash and sets `updated_at` to
    ///   `updated_at` (which the use case makes later than the previous
    ///   one, even on a clock that stood still);
    /// - revokes every other live password-reset token of the user;
    /// - ends every active session of the user (`revoked_at = now`);
    /// - queues `notice`, due at `now`.
    ///
    /// `Ok(false)`, and nothing written, when the token was no longer live.
    async fn redeem_password_reset(
        &self,
        token: AccountTokenId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
        notice: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Redeems an email-verification token, atomically: marks `token` used
    /// and sets its user's `email_verified`, only if the token is still
    /// live at `now` AND its address is still the user's (compared by
    /// [`fold_case`](crate::user::fold_case) key: a link mailed to an
    /// address the user has since changed proves nothing). One conditional
    /// write: of concurrent redemptions exactly one gets `Some`. Returns the
    /// user as stored after the write; `None`, and nothing written,
    /// otherwise. `updated_at` does not move (the user changed nothing).
    async fn redeem_email_verification(
        &self,
        token: AccountTokenId,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError>;

    /// Revokes every live token of `user` of `kind` at `now` (a password
    /// changed by any route kills the reset links already mailed); returns
    /// how many.
    async fn revoke_all(
        &self,
        user: UserId,
        kind: AccountTokenKind,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;
}
