//! The health check's view of the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;

/// Asks the database a trivial question to show it answers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DatabaseProbe: Send + Sync {
    /// The database server's current time.
    async fn current_time(&self) -> Result<DateTime<Utc>, RepositoryError>;
}
