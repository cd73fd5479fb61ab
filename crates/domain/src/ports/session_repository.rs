//! Persistence of sessions and their refresh tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::session::{NewSession, RefreshTokenHash, Session, SessionId, StoredRefreshToken};
use crate::user::{User, UserId};

/// Stores sessions and the hashes of their refresh tokens (never the tokens).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Inserts a session with its first (current) refresh token.
    async fn create(&self, session: NewSession) -> Result<Session, RepositoryError>;

    /// The refresh token with this hash, spent or current, and its session.
    async fn find_refresh_token(
        &self,
        hash: &RefreshTokenHash,
    ) -> Result<Option<StoredRefreshToken>, RepositoryError>;

    /// Spends `presented` and stores `successor` as the session's current
    /// token, and moves `last_used_at` to `now`, atomically. `Ok(false)`
    /// when `presented` was already spent: a concurrent refresh won, and
    /// nothing was written. Implementations MUST make the check and the
    /// write one atomic step (a conditional UPDATE or a row lock).
    async fn rotate(
        &self,
        session: SessionId,
        presented: &RefreshTokenHash,
        successor: &RefreshTokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Ends one of `user`'s sessions. `Ok(false)` when no active session of
    /// that user has this id.
    async fn revoke(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Ends every active session of `user` except `keep`; returns how many.
    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// The user's sessions that are neither revoked nor expired, newest first.
    async fn list_active(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, RepositoryError>;

    /// The user an access token speaks for, in one round trip: `Some` only
    /// if the user exists and is active AND the session exists, belongs to
    /// them, is not revoked and has not expired at `now`.
    async fn find_authenticated(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError>;
}
