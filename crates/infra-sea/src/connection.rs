//! Opening the connection pool (PostgreSQL or SQLite, chosen by the URL) and
//! running the migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// How to reach the database and size the pool.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `postgres://...` or `sqlite://path?mode=rwc`. May hold a password:
    /// never log it.
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a query waits for a free connection (and a new connection
    /// for the server to answer); on SQLite also how long a writer waits for
    /// the database lock.
    pub acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on every pooled connection: a
    /// statement running longer is cancelled (SQLSTATE 57014, an
    /// [`Unavailable`](domain::RepositoryError::Unavailable) error), so a stuck
    /// query does not hold its connection after the request has given up.
    /// `None`: no limit. Not used on SQLite.
    pub statement_timeout: Option<Duration>,
    /// Log every SQL statement at debug level.
    pub log_statements: bool,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("log_statements", &self.log_statements)
            .finish()
    }
}

/// A pooled connection idle at least this long is pinged before use.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(5);

/// Opens a connection pool, and its first connection.
///
/// For SQLite, the file and its directory are created when missing (unless
/// the URL names a `mode`: `?mode=ro` opens an existing file read-only,
/// `?mode=rw` refuses to create one), so `sqlite://data/app.db` works on a
/// fresh clone; foreign keys
/// are enforced (todos go with their user), writers wait up to
/// `acquire_timeout` for the lock instead of failing at once, and the
/// journal is in WAL mode so that readers and the writer do not block each
/// other.
///
/// # Errors
/// When the URL is not a PostgreSQL or SQLite URL, the SQLite directory
/// cannot be created, or the first connection cannot be made: then the error
/// names the server (host, port, database, user) or the file, the cause, and
/// what to do about it. It never contains the password.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, anyhow::Error> {
    match Database::connect(options(settings)?).await {
        Ok(db) => Ok(db),
        Err(error) => {
            Err(crate::connect_error::explain(&settings.url, settings.acquire_timeout, error).await)
        }
    }
}

/// Creates a connection pool without connecting: its connections are opened
/// by the first queries, or, up to `min_connections`, by a background task,
/// on the tokio runtime this is called on (a connection's socket belongs to
/// the runtime that opened it). Never waits for the database, so it works
/// while the database is down.
///
/// # Errors
/// As [`connect`], except that the database is not reached.
pub async fn connect_lazy(
    settings: &DatabaseSettings,
) -> Result<DatabaseConnection, anyhow::Error> {
    let mut options = options(settings)?;
    options.connect_lazy(true);
    Database::connect(options)
        .await
        .context("could not create the database pool")
}

/// The pool options of [`connect`] and [`connect_lazy`].
fn options(settings: &DatabaseSettings) -> Result<ConnectOptions, anyhow::Error> {
    let url = settings.url.as_str();
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(settings.acquire_timeout)
        .sqlx_logging(settings.log_statements)
        .sqlx_logging_level(log::LevelFilter::Debug)
        // sqlx pings a connection on every acquire by default: one more round
        // trip per query. Ping only a connection idle long enough for a
        // server, proxy or firewall to have dropped it unnoticed. (On
        // release, the vendored sqlx pings only a connection left in an
        // unknown state, such as by a cancelled query: vendor/README.md.)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    if let Some(timeout) = settings.statement_timeout {
        // Sent with the connection's start-up parameters: no extra round trip.
        options.statement_timeout(timeout);
    }

    if is_sqlite_url(url) {
        create_sqlite_directory(url)?;
        let busy_timeout = settings.acquire_timeout;
        // `mode=rwc` unless the URL names its own mode.
        let default_mode = !url.contains("mode=");
        options.map_sqlx_sqlite_opts(move |sqlite| {
            let sqlite = if default_mode {
                sqlite.create_if_missing(true)
            } else {
                sqlite
            };
            sqlite
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
                .journal_mode(SqliteJournalMode::Wal)
        });
    } else if !is_postgres_url(url) {
        anyhow::bail!("the database URL must start with postgres://, postgresql:// or sqlite:");
    }
    Ok(options)
}

/// Applies every pending migration.
///
/// # Errors
/// When a migration fails; the failed migration's changes are rolled back.
pub async fn run_migrations(db: &DatabaseConnection) -> Result<(), anyhow::Error> {
    Migrator::up(db, None)
        .await
        .context("could not apply the database migrations")
}

pub(crate) fn is_sqlite_url(url: &str) -> bool {
    url.starts_with("sqlite:")
}

pub(crate) fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// SQLite creates the file (with `mode=rwc`) but not its directory.
fn create_sqlite_directory(url: &str) -> anyhow::Result<()> {
    let options =
        SqliteConnectOptions::from_str(url).context("the SQLite database URL is malformed")?;
    let file = options.get_filename();
    if is_in_memory(url, file) {
        return Ok(());
    }
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .with_context(|| {
                format!(
                    "could not create the directory {} for the SQLite database",
                    dir.display()
                )
            }),
        _ => Ok(()),
    }
}

fn is_in_memory(url: &str, file: &Path) -> bool {
    let name = file.to_string_lossy();
    url.contains("mode=memory")
        || name.is_empty()
        || name == ":memory:"
        || name.starts_with("file:")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn in_memory_urls_need_no_directory() {
        for url in [
            "sqlite::memory:",
            "sqlite://?mode=memory",
            "sqlite://:memory:",
        ] {
            let options = SqliteConnectOptions::from_str(url).unwrap();
            assert!(is_in_memory(url, options.get_filename()), "{url}");
        }
        let url = "sqlite://data/app.db?mode=rwc";
        let options = SqliteConnectOptions::from_str(url).unwrap();
        assert!(!is_in_memory(url, options.get_filename()));
    }

    #[test]
    fn debug_hides_the_url() {
        let settings = DatabaseSettings {
            url: "postgres://app:s3cret@db/app".to_owned(),
            max_connections: 1,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(1),
            statement_timeout: None,
            log_statements: false,
        };
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
