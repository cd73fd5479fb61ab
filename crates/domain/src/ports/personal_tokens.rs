//! Personal access tokens: their storage, and the material they are made of.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::personal_token::{
    NewPersonalToken, PersonalToken, PersonalTokenHash, PersonalTokenId, PersonalTokenSecret,
};
use crate::user::{User, UserId};

/// Stores personal access tokens by the hash of their secret (never the
/// secret). Deleting a user deletes their tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PersonalTokenRepository: Send + Sync {
    /// Inserts a token. The hash is unique (an implementation MAY rely on
    /// it: two tokens never share 256 random bits).
    async fn create(&self, token: NewPersonalToken) -> Result<PersonalToken, RepositoryError>;

    /// The user's tokens that are not revoked (expired ones included, so
    /// their owner sees that they expired), newest first (by `created_at`,
    /// then id).
    async fn list(&self, user: UserId) -> Result<Vec<PersonalToken>, RepositoryError>;

    /// The token whose secret hashes to `hash` and its user, in one round
    /// trip: `Some` only if the token is live at `now` (not revoked, not
    /// expired) AND its user exists and is active. Implementations MUST
    /// find it by an index on the hash: the cost may not grow with the
    /// number of tokens.
    async fn find_live(
        &self,
        hash: &PersonalTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<(PersonalToken, User)>, RepositoryError>;

    /// Whether the token `token` of `user` is live at `now` and `user`
    /// exists and is active: the same rule as [`Self::find_live`], by id.
    async fn holds(
        &self,
        user: UserId,
        token: PersonalTokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Moves the token's `last_used_at` to `now`, only if it is unset or
    /// earlier than `not_since`: one conditional write, so that of
    /// instances touching the same token at once at most one writes.
    /// `Ok(true)` when this call wrote.
    async fn touch(
        &self,
        token: PersonalTokenId,
        now: DateTime<Utc>,
        not_since: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Revokes the token `token` of `user` at `now`. `Ok(false)`, and
    /// nothing written, when `user` has no unrevoked token with that id
    /// (someone else's token is not found either).
    async fn revoke(
        &self,
        user: UserId,
        token: PersonalTokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Revokes every unrevoked token of `user` at `now`; returns how many.
    async fn revoke_all(&self, user: UserId, now: DateTime<Utc>) -> Result<u64, RepositoryError>;
}

/// Makes personal access token secrets and their hashes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PersonalTokenSecrets: Send + Sync {
    /// A new secret: [`PersonalTokenSecret::PREFIX`] and at least 256 bits
    /// from a CSPRNG, URL-safe.
    fn generate(&self) -> PersonalTokenSecret;

    /// The hash the store keeps and looks the secret up by: a pure function
    /// of the secret's text (a presented bearer credential is hashed the
    /// same way before it is known to be genuine).
    fn hash(&self, secret: &str) -> PersonalTokenHash;
}
