//! The SeaORM storage (PostgreSQL or SQLite) the settings describe: connect,
//! apply or check the migrations, and hand each worker the seven `Sea*`
//! adapters over its pool ([`DbPools`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use domain::ports::{Outbox, Repositories, StorePruner};
use infra_sea::{
    SeaAccountTokens, SeaDatabaseProbe, SeaLoginAttempts, SeaOutbox, SeaPersonalTokens,
    SeaSchemaStatus, SeaSecondFactors, SeaSessionRepository, SeaStorePruner, SeaTodoRepository,
    SeaUserRepository,
};
use sea_orm::DatabaseConnection;

use crate::startup::config::{Environment, Settings};
use crate::startup::db_pools::DbPools;
use crate::startup::storage::{PoolStats, Storage};

/// Connects to the database, applies the migrations (`AUTO_MIGRATE`) or
/// checks their state, and returns the storage serving the workers: a pool
/// per worker on PostgreSQL, the start-up pool shared on SQLite.
///
/// # Errors
/// When the database cannot be reached or migrated.
pub async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Storage>> {
    if settings.environment == Environment::Production && settings.database.uses_sqlite() {
        tracing::warn!(
            database_url = %settings.database.url,
            "ENVIRONMENT=production on the embedded SQLite file: one instance only, no \
             shared sessions or throttling; set DATABASE_URL to a PostgreSQL database"
        );
    }
    let db = connect(settings).await?;
    if settings.database.auto_migrate {
        // Under the migration lock: instances starting at once on one
        // database take turns, and the later ones find nothing pending.
        migration::up_locked(&db, None)
            .await
            .context("applying migrations")?;
    } else {
        // Read-only: never creates the migrations table, so it cannot
        // race a migrator creating it (nor needs the DDL privilege); and
        // a newer build's migrations (a rolling deploy) are no error.
        let state = migration::schema_state(&db)
            .await
            .context("reading migration status")?;
        if !state.pending.is_empty() {
            tracing::warn!(
                pending = state.pending.len(),
                "database has pending migrations; run `api migrate up`"
            );
        }
        if !state.unknown.is_empty() {
            tracing::info!(
                unknown = state.unknown.len(),
                "database has migrations this build does not know (a newer build's)"
            );
        }
    }
    let (pools, kind) = if settings.database.uses_sqlite() {
        (DbPools::shared(db), "sqlite")
    } else {
        // The start-up pool has done its work: each worker opens its own.
        db.close()
            .await
            .context("closing the start-up database pool")?;
        (
            DbPools::per_worker(settings.database.pool(), settings.server.workers),
            "postgres",
        )
    };
    Ok(Arc::new(SeaStorage {
        pools,
        retention: settings.throttling.events_retention(),
        kind,
    }))
}

/// Opens the database pool described by the settings.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    infra_sea::connect(&settings.database.pool())
        .await
        .context("connecting to the database")
}

/// The `Sea*` adapters over each worker's pool.
struct SeaStorage {
    pools: DbPools,
    retention: Duration,
    kind: &'static str,
}

#[async_trait]
impl Storage for SeaStorage {
    async fn repositories_for_this_worker(&self) -> anyhow::Result<Repositories> {
        let db = self.pools.for_this_worker().await?;
        Ok(Repositories {
            users: Arc::new(SeaUserRepository::new(db.clone())),
            sessions: Arc::new(SeaSessionRepository::new(db.clone())),
            todos: Arc::new(SeaTodoRepository::new(db.clone())),
            attempts: Arc::new(SeaLoginAttempts::with_retention(db.clone(), self.retention)),
            probe: Arc::new(SeaDatabaseProbe::new(db.clone())),
            schema: Arc::new(SeaSchemaStatus::new(db.clone())),
            pruner: Arc::new(SeaStorePruner::new(db.clone())),
            account_tokens: Arc::new(SeaAccountTokens::new(db.clone())),
            outbox: Arc::new(SeaOutbox::new(db.clone())),
            personal_tokens: Arc::new(SeaPersonalTokens::new(db.clone())),
            second_factors: Arc::new(SeaSecondFactors::new(db)),
        })
    }

    async fn pruner(&self) -> anyhow::Result<Arc<dyn StorePruner>> {
        let db = self.pools.for_maintenance().await?;
        Ok(Arc::new(SeaStorePruner::new(db)))
    }

    async fn outbox(&self) -> anyhow::Result<Arc<dyn Outbox>> {
        let db = self.pools.for_mail().await?;
        Ok(Arc::new(SeaOutbox::new(db)))
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        self.pools.stats().map(|stats| PoolStats {
            size: stats.size,
            idle: stats.idle,
            max_size: stats.max_size,
        })
    }

    async fn close(&self) {
        self.pools.close().await;
    }

    fn kind(&self) -> &'static str {
        self.kind
    }
}
