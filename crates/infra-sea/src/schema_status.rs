//! [`SchemaStatus`] on SeaORM: compares the `migration` crate's list with
//! what the database has recorded as applied (`migration::schema_state`).

use async_trait::async_trait;
use domain::RepositoryError;
use domain::ports::SchemaStatus;
use sea_orm::DatabaseConnection;

use crate::error::db_error;

/// Counts this build's migrations the database has not applied.
#[derive(Clone)]
pub struct SeaSchemaStatus {
    db: DatabaseConnection,
}

impl SeaSchemaStatus {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SchemaStatus for SeaSchemaStatus {
    async fn pending_migrations(&self) -> Result<usize, RepositoryError> {
        // Read-only: a probe must not create the migrations table (nor need
        // the DDL privilege to); a missing table means all pending. A newer
        // build's migrations, applied during a rolling deploy, are not
        // pending here and no error: this build's schema is all there.
        migration::schema_state(&self.db)
            .await
            .map(|state| state.pending.len())
            .map_err(db_error("reading the applied migrations"))
    }
}
