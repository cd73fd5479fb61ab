//! [`DatabaseProbe`] and [`SchemaStatus`] in memory: the store's clock, and
//! the pending-migration count a test sets.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::RepositoryError;
use domain::ports::{DatabaseProbe, SchemaStatus};

use crate::MemoryStore;

pub(crate) struct MemoryProbe(pub(crate) MemoryStore);

pub(crate) struct MemorySchemaStatus(pub(crate) MemoryStore);

#[async_trait]
impl DatabaseProbe for MemoryProbe {
    async fn current_time(&self) -> Result<DateTime<Utc>, RepositoryError> {
        // The clock is read outside the state's lock (it is not our code).
        self.0.available()?;
        Ok(self.0.inner.clock.now())
    }
}

#[async_trait]
impl SchemaStatus for MemorySchemaStatus {
    async fn pending_migrations(&self) -> Result<usize, RepositoryError> {
        self.0.available()?;
        Ok(self.0.inner.pending_migrations.load(Ordering::SeqCst))
    }
}
