//! The database: which one, its pool, and what is done to it at start.

use std::time::Duration;

use super::reader::Reader;
use crate::inbound::state::Environment;

/// The SQLite file used when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db?mode=rwc";

/// The database's settings.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `DATABASE_URL`: `postgres://`, `postgresql://` or `sqlite:`.
    pub url: String,
    pub pool_size: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout` of the pool's connections; `None`
    /// (`DB_STATEMENT_TIMEOUT_MS=0`): no limit.
    pub statement_timeout: Option<Duration>,
    pub echo: bool,
    pub auto_migrate: bool,
    pub health_timeout: Duration,
    /// `PRUNE_INTERVAL_SECONDS`: how often the server deletes ended
    /// sessions, their refresh tokens and old login events; `None` (`0`):
    /// never (run `api prune` from a scheduler instead).
    pub prune_interval: Option<Duration>,
}

impl DatabaseSettings {
    /// `DATABASE_URL`, `DB_POOL_SIZE`, `DB_ACQUIRE_TIMEOUT_MS`,
    /// `DB_STATEMENT_TIMEOUT_MS`, `DB_ECHO`, `AUTO_MIGRATE` (default: on
    /// except in production), `HEALTH_TIMEOUT_MS` and
    /// `PRUNE_INTERVAL_SECONDS`.
    pub(super) fn read(r: &mut Reader<'_>, environment: Environment) -> Self {
        let url = r.string("DATABASE_URL", DEFAULT_DATABASE_URL);
        if !(url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("sqlite:"))
        {
            r.problem("DATABASE_URL", "expected a postgres:// or sqlite: URL");
        }
        Self {
            url,
            pool_size: r.ranged("DB_POOL_SIZE", 10, 1..=1000),
            acquire_timeout: Duration::from_millis(r.ranged(
                "DB_ACQUIRE_TIMEOUT_MS",
                3000,
                1..=600_000,
            )),
            statement_timeout: match r.ranged("DB_STATEMENT_TIMEOUT_MS", 30_000, 0..=3_600_000) {
                0 => None,
                ms => Some(Duration::from_millis(ms)),
            },
            echo: r.bool("DB_ECHO", false),
            auto_migrate: r.bool("AUTO_MIGRATE", environment != Environment::Production),
            health_timeout: Duration::from_millis(r.ranged("HEALTH_TIMEOUT_MS", 2000, 1..=60_000)),
            prune_interval: match r.ranged("PRUNE_INTERVAL_SECONDS", 600, 0..=7 * 86_400) {
                0 => None,
                seconds => Some(Duration::from_secs(seconds)),
            },
        }
    }

    /// Whether the database URL names an embedded SQLite file.
    #[must_use]
    pub fn uses_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    /// The pool these settings describe: `DB_POOL_SIZE` connections at most.
    #[must_use]
    pub fn pool(&self) -> infra_sea::DatabaseSettings {
        infra_sea::DatabaseSettings {
            url: self.url.clone(),
            max_connections: self.pool_size,
            min_connections: 1,
            acquire_timeout: self.acquire_timeout,
            statement_timeout: self.statement_timeout,
            log_statements: self.echo,
        }
    }
}
