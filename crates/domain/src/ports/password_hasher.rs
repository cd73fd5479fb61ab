//! Password hashing.

use async_trait::async_trait;

use crate::password::{Password, PasswordHash};

/// The hasher failed (not a mismatch: a mismatch is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError(#[source] pub anyhow::Error);

/// Hashes and verifies passwords. Implementations do the CPU-heavy work off
/// the async executor.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;

    /// `Ok(false)` on a mismatch, including a candidate that could never have
    /// been hashed (such as one over 72 bytes).
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError>;

    /// Does the work of one `verify` against a fixed hash and discards the
    /// result, so that a login for an unknown user takes as long as one with
    /// a wrong password.
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError>;
}
