//! The readiness check's view of the database schema.

use async_trait::async_trait;

use crate::error::RepositoryError;

/// Whether the database schema is the one this build expects.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SchemaStatus: Send + Sync {
    /// How many of this build's migrations the database has not applied yet
    /// (0 when the schema is current).
    ///
    /// # Errors
    /// Adapters MUST return [`RepositoryError::Unavailable`] when the
    /// database cannot be reached, and MUST NOT change the schema while
    /// answering (a readiness probe only reads).
    async fn pending_migrations(&self) -> Result<usize, RepositoryError>;
}
