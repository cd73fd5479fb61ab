//! Why the database cannot be reached, said so that an operator knows what to
//! do: which server or file, the cause in a few words, and the next step.
//!
//! The pool alone cannot say: while it waits for a first connection it
//! retries, and reports only that it timed out. So when opening the pool
//! fails, one connection is attempted directly, and its error is explained.
//! Nothing here ever shows the password of the URL.

use std::io;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{DbErr, RuntimeErr};

/// The error for a pool that could not open its first connection to `url`,
/// after one direct attempt (given at most `timeout`) to learn why.
pub(crate) async fn explain(url: &str, timeout: Duration, pool_error: DbErr) -> anyhow::Error {
    let explanation = if url.starts_with("sqlite:") {
        explain_sqlite(url, timeout).await
    } else {
        explain_postgres(url, timeout).await
    };
    match explanation {
        Some(message) => anyhow::anyhow!(message),
        // The direct attempt worked (the database came back meanwhile): the
        // pool's own error, said once.
        None => anyhow::anyhow!(
            "could not connect to the database: {}",
            describe(&pool_error)
        ),
    }
}

async fn explain_postgres(url: &str, timeout: Duration) -> Option<String> {
    let options = match PgConnectOptions::from_str(url) {
        Ok(options) => options,
        Err(error) => {
            return Some(format!(
                "DATABASE_URL is not a usable PostgreSQL URL ({}); expected \
                 postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
                sqlx_cause(&error)
            ));
        }
    };
    let (host, port) = (options.get_host(), options.get_port());
    let database = options.get_database().unwrap_or(options.get_username());
    let whom = format!(
        "PostgreSQL at {host}:{port} (database \"{database}\", user \"{}\")",
        options.get_username()
    );
    let error = match attempt(&options, timeout).await {
        Attempt::Connected => return None,
        Attempt::Failed(error) => error,
        Attempt::TimedOut => {
            return Some(format!(
                "cannot connect to {whom}: no answer within {} ms. Is the host reachable and \
                 the port right? (DB_ACQUIRE_TIMEOUT_MS sets how long to wait.)",
                timeout.as_millis()
            ));
        }
    };
    let next_step = match &error {
        sqlx::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => format!(
            "Is PostgreSQL running and listening on {host}:{port}? Start it, or fix the host \
             and port in DATABASE_URL."
        ),
        sqlx::Error::Io(_) => "Check the host name and port in DATABASE_URL.".to_owned(),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // invalid_catalog_name
            Some("3D000") => format!(
                "Create it (createdb -h {host} -p {port} -U {} {database}) or name an \
                 existing database in DATABASE_URL.",
                options.get_username()
            ),
            // invalid_password
            Some("28P01") => "Check the password in DATABASE_URL.".to_owned(),
            // invalid_authorization_specification: no such role, or pg_hba refuses
            Some("28000") => {
                "Use a role that exists and may connect (pg_hba.conf), or create it.".to_owned()
            }
            _ => "Check DATABASE_URL and the server's log.".to_owned(),
        },
        sqlx::Error::Tls(_) => {
            "Check the server's TLS set-up, or the sslmode parameter of DATABASE_URL.".to_owned()
        }
        _ => "Check DATABASE_URL.".to_owned(),
    };
    Some(format!(
        "cannot connect to {whom}: {}. {next_step}",
        sqlx_cause(&error)
    ))
}

async fn explain_sqlite(url: &str, timeout: Duration) -> Option<String> {
    let options = match SqliteConnectOptions::from_str(url) {
        Ok(options) => options,
        Err(error) => {
            return Some(format!(
                "DATABASE_URL is not a usable SQLite URL ({}); expected sqlite://PATH, e.g. \
                 sqlite://data/app.db",
                sqlx_cause(&error)
            ));
        }
    };
    let file = options.get_filename().display().to_string();
    let error = match attempt(&options, timeout).await {
        Attempt::Connected => return None,
        Attempt::Failed(error) => error,
        Attempt::TimedOut => {
            return Some(format!(
                "cannot open the SQLite database {file}: no answer within {} ms (is another \
                 process holding it locked?)",
                timeout.as_millis()
            ));
        }
    };
    Some(format!(
        "cannot open the SQLite database {file}: {}. Check that the file (or, for a new \
         database, its directory) is readable and writable by this user, and that the URL's \
         mode (e.g. ?mode=ro) allows what the service does.",
        sqlx_cause(&error)
    ))
}

/// How one direct connection attempt went.
enum Attempt {
    Connected,
    Failed(sqlx::Error),
    TimedOut,
}

/// One connection, opened and closed again, within `timeout`.
async fn attempt<O>(options: &O, timeout: Duration) -> Attempt
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    match tokio::time::timeout(timeout, options.connect()).await {
        Ok(Ok(connection)) => {
            drop(connection);
            Attempt::Connected
        }
        Ok(Err(error)) => Attempt::Failed(error),
        Err(_) => Attempt::TimedOut,
    }
}

/// The error's own words, once: sqlx repeats its cause in `Display` and
/// `source`, and sea-orm wraps it again.
fn sqlx_cause(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

fn describe(error: &DbErr) -> String {
    match error {
        DbErr::Conn(RuntimeErr::SqlxError(error)) => sqlx_cause(error),
        other => other.to_string(),
    }
}
