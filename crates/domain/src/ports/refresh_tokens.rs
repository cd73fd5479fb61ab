//! Making and hashing refresh tokens.

use crate::session::{RefreshToken, RefreshTokenHash};

/// Refresh-token material.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RefreshTokens: Send + Sync {
    /// A new token: at least 256 random bits, URL-safe.
    fn generate(&self) -> RefreshToken;

    /// The token that replaces `presented` on rotation. Deterministic (a keyed
    /// derivation of `presented`), so that a replay within the grace window
    /// answers the very same successor without the server storing it.
    fn successor(&self, presented: &RefreshToken) -> RefreshToken;

    /// The `jti` of the access token issued with `paired`: derived from it
    /// (keyed, one-way), so a replayed refresh answers the same access token.
    fn token_id(&self, paired: &RefreshToken) -> String;

    /// The one-way hash the store keeps.
    fn hash(&self, token: &RefreshToken) -> RefreshTokenHash;
}
