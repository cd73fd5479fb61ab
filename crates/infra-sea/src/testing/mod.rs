//! Test support (feature `testing`): a fresh, migrated database per test
//! ([`TestDatabase::new`], or [`TestDatabase::sqlite`] for SQLite whatever
//! the environment), or a fresh empty one ([`TestDatabase::unmigrated`])
//! for tests of migrating.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use infra_sea::SeaUserRepository;
//! use infra_sea::testing::TestDatabase;
//!
//! let db = TestDatabase::new().await?;
//! let users = SeaUserRepository::new(db.connection().clone());
//! // ... the database goes away with `db`, also when the test panics.
//! # Ok(())
//! # }
//! ```
//!
//! Where the databases live is decided once per process (see the `backend`
//! module): `TEST_DATABASE_URL`, else a PostgreSQL `DATABASE_URL`, else a
//! PostgreSQL container if Docker answers, else SQLite in temporary files.
//! On PostgreSQL each `TestDatabase` is a new database `test_<uuid>` on the
//! server, created, migrated (unless made by `unmigrated`), and dropped
//! `WITH (FORCE)` on drop. Its pool holds at most 4 connections, to stay well
//! inside the server's `max_connections` while many tests and test binaries
//! run at once.
//!
//! The Docker container is started once per process and kept in a static, so
//! it is not removed when the process exits; remove leftovers with
//! `docker rm -f $(docker ps -q --filter ancestor=postgres:15-alpine)`.

mod backend;
mod docker;

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use tempfile::TempDir;

use crate::connection::{DatabaseSettings, connect, run_migrations};
use backend::Backend;

const POOL_SIZE: u32 = 4;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
const DROP_TIMEOUT: Duration = Duration::from_secs(30);

/// A fresh database for one test (migrated, unless made by
/// [`TestDatabase::unmigrated`]), removed when dropped.
pub struct TestDatabase {
    // Field order matters: the pool is dropped (closing its connections)
    // before the cleanup drops the database or removes the directory.
    connection: DatabaseConnection,
    url: String,
    backend_name: &'static str,
    _cleanup: Cleanup,
}

enum Cleanup {
    Postgres(DropDatabaseOnDrop),
    Sqlite(#[allow(dead_code)] TempDir),
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = match &self._cleanup {
            Cleanup::Postgres(guard) => guard.database.clone(),
            Cleanup::Sqlite(dir) => dir.path().display().to_string(),
        };
        f.debug_struct("TestDatabase")
            .field("backend", &self.backend_name)
            .field("database", &database)
            .finish_non_exhaustive()
    }
}

impl TestDatabase {
    /// Creates and migrates a new database, on the backend chosen for this
    /// process.
    ///
    /// # Errors
    /// When the server cannot be reached, the database cannot be created, or
    /// the migrations fail. A database created before the failure is dropped.
    pub async fn new() -> anyhow::Result<TestDatabase> {
        Self::create(Schema::Migrated).await
    }

    /// Creates a new, empty database (no tables, not even the migrations
    /// table), for tests of migrating itself, e.g. several instances
    /// starting at once. Removed when dropped, like [`TestDatabase::new`]'s.
    ///
    /// # Errors
    /// When the server cannot be reached or the database cannot be created.
    pub async fn unmigrated() -> anyhow::Result<TestDatabase> {
        Self::create(Schema::Empty).await
    }

    /// Creates and migrates a new SQLite database in a temporary directory,
    /// whatever backend this process chose for [`TestDatabase::new`]: for
    /// tests that run on SQLite always (the port contract runs on both).
    ///
    /// # Errors
    /// When the directory cannot be created or the migrations fail.
    pub async fn sqlite() -> anyhow::Result<TestDatabase> {
        Self::new_sqlite(Schema::Migrated).await
    }

    /// Creates and migrates a new PostgreSQL database on the server this
    /// process chose (`TEST_DATABASE_URL`, `DATABASE_URL` or a container),
    /// for tests asked to run on PostgreSQL (`TEST_BACKEND=postgres`).
    ///
    /// # Errors
    /// When no PostgreSQL server is configured or reachable (it never falls
    /// back to SQLite), or as [`TestDatabase::new`].
    pub async fn postgres() -> anyhow::Result<TestDatabase> {
        match backend::backend().await {
            Backend::Postgres { server_url } => {
                Self::new_postgres(server_url, Schema::Migrated).await
            }
            Backend::Sqlite => anyhow::bail!(
                "PostgreSQL was asked for, but no server is configured: set TEST_DATABASE_URL \
                 (e.g. postgres://postgres@127.0.0.1:5432/postgres) or run a Docker engine"
            ),
        }
    }

    async fn create(schema: Schema) -> anyhow::Result<TestDatabase> {
        match backend::backend().await {
            Backend::Postgres { server_url } => Self::new_postgres(server_url, schema).await,
            Backend::Sqlite => Self::new_sqlite(schema).await,
        }
    }

    /// The database's URL, for code that opens its own pool (for example the
    /// application under test). Treat it as a secret: it may hold a password.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A small pool (at most 4 connections) on the database.
    #[must_use]
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// The ten storage ports on this database ([`crate::repositories`]).
    #[must_use]
    pub fn repositories(&self) -> domain::ports::Repositories {
        crate::repositories(&self.connection)
    }

    /// `"PostgreSQL"` or `"SQLite"`.
    #[must_use]
    pub fn backend_name(&self) -> &'static str {
        self.backend_name
    }

    async fn new_postgres(server_url: &str, schema: Schema) -> anyhow::Result<TestDatabase> {
        let database = format!("test_{}", uuid::Uuid::new_v4().simple());
        let server = server_connection(server_url).await?;
        let created = server
            .execute_unprepared(&format!("CREATE DATABASE \"{database}\""))
            .await
            .with_context(|| format!("could not create the test database {database}"));
        // The server connection is not needed any more either way.
        let _ = server.close().await;
        created?;
        // From here on the guard drops the database, also if what follows fails.
        let guard = DropDatabaseOnDrop {
            server_url: server_url.to_owned(),
            database,
        };
        let url = database_url(server_url, &guard.database)?;
        let connection = pool(&url, schema).await?;
        Ok(TestDatabase {
            connection,
            url,
            backend_name: "PostgreSQL",
            _cleanup: Cleanup::Postgres(guard),
        })
    }

    async fn new_sqlite(schema: Schema) -> anyhow::Result<TestDatabase> {
        let dir = tempfile::Builder::new()
            .prefix("infra-sea-test-")
            .tempdir()
            .context("could not create a temporary directory for SQLite")?;
        let url = sqlite_url(&dir.path().join("test.db"));
        let connection = pool(&url, schema).await?;
        Ok(TestDatabase {
            connection,
            url,
            backend_name: "SQLite",
            _cleanup: Cleanup::Sqlite(dir),
        })
    }
}

/// Whether a new test database gets the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    Migrated,
    Empty,
}

async fn pool(url: &str, schema: Schema) -> anyhow::Result<DatabaseConnection> {
    let connection = connect(&DatabaseSettings {
        url: url.to_owned(),
        max_connections: POOL_SIZE,
        min_connections: 0,
        acquire_timeout: ACQUIRE_TIMEOUT,
        statement_timeout: None,
        log_statements: std::env::var_os("TEST_LOG").is_some(),
    })
    .await?;
    if schema == Schema::Empty {
        return Ok(connection);
    }
    if let Err(err) = run_migrations(&connection).await {
        let _ = connection.close().await;
        return Err(err);
    }
    Ok(connection)
}

/// One connection to the server's maintenance database, for CREATE and DROP
/// DATABASE (which cannot run in the database they create or drop).
async fn server_connection(server_url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(server_url);
    options
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(ACQUIRE_TIMEOUT)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .context("could not connect to the PostgreSQL test server")
}

/// The server URL with its database replaced by `database`.
fn database_url(server_url: &str, database: &str) -> anyhow::Result<String> {
    let mut url =
        url::Url::parse(server_url).context("the PostgreSQL test server URL is malformed")?;
    url.set_path(&format!("/{database}"));
    Ok(url.into())
}

fn sqlite_url(file: &Path) -> String {
    // The path is percent-decoded by the driver: escape what would be read
    // as the start of a query or fragment.
    let path = file
        .display()
        .to_string()
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("sqlite://{path}?mode=rwc")
}

/// Drops a PostgreSQL test database when dropped, even while a failed test
/// unwinds. `Drop` cannot await, and the test's runtime may be single-threaded
/// and busy dropping us, so the work runs on a thread of its own with its own
/// runtime, and `drop` waits for it.
struct DropDatabaseOnDrop {
    server_url: String,
    database: String,
}

impl Drop for DropDatabaseOnDrop {
    fn drop(&mut self) {
        let server_url = std::mem::take(&mut self.server_url);
        let database = std::mem::take(&mut self.database);
        let name = database.clone();
        let outcome = std::thread::Builder::new()
            .name("drop-test-database".to_owned())
            .spawn(move || drop_database(&server_url, &database))
            .map(std::thread::JoinHandle::join);
        match outcome {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => {
                eprintln!("warning: could not drop the test database {name}: {err:#}");
            }
            Ok(Err(_)) | Err(_) => {
                eprintln!("warning: could not drop the test database {name}");
            }
        }
    }
}

fn drop_database(server_url: &str, database: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start a runtime to drop the test database")?;
    runtime.block_on(async {
        tokio::time::timeout(DROP_TIMEOUT, async {
            let server = server_connection(server_url).await?;
            // FORCE ends sessions still connected (pools cloned by the test).
            let dropped = server
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                ))
                .await
                .context("DROP DATABASE failed");
            let _ = server.close().await;
            dropped.map(|_| ())
        })
        .await
        .context("timed out")?
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn database_url_replaces_only_the_database() {
        assert_eq!(
            database_url("postgres://u:p@db:5432/postgres?sslmode=disable", "test_x").unwrap(),
            "postgres://u:p@db:5432/test_x?sslmode=disable"
        );
    }

    #[test]
    fn sqlite_url_escapes_query_characters() {
        assert_eq!(
            sqlite_url(Path::new("/tmp/a?b#c%d/test.db")),
            "sqlite:///tmp/a%3Fb%23c%25d/test.db?mode=rwc"
        );
    }
}
