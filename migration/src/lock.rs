//! Migrating under a lock, so that instances started at once on one database
//! (a rolling deploy, a scaled-up replica set, several `api migrate up`) do
//! not race: without it two migrators both see `m..._000001` pending, and one
//! of them fails half-way with "relation users already exists" (or on the
//! concurrent `CREATE TABLE IF NOT EXISTS seaql_migrations` itself).
//!
//! Every function here runs the migrator inside **one transaction** that
//! first takes the database's write lock:
//!
//! - **PostgreSQL**: `BEGIN ISOLATION LEVEL READ COMMITTED`, then
//!   `SELECT pg_advisory_xact_lock(`[`MIGRATION_LOCK_KEY`]`)`. A second
//!   migrator waits there until the first commits (or rolls back), which
//!   releases the lock; its next statements see what the first committed (read
//!   committed: a fresh snapshot per statement, whatever the server's default
//!   isolation), so it finds nothing pending and succeeds without doing
//!   anything. PostgreSQL DDL is transactional, so the run is all or nothing:
//!   a failing migration rolls back every migration of the run. The lock is
//!   transaction-scoped, so it cannot leak onto a pooled connection and works
//!   through PgBouncer in transaction mode; advisory locks are per database,
//!   so other databases on the server are not held up. The transaction sets
//!   `statement_timeout` to 0 for itself: the pool's limit is for requests.
//! - **SQLite**: `BEGIN IMMEDIATE`, which takes SQLite's write lock up front.
//!   A second migrator on the same file waits for it up to the connection's
//!   busy timeout (infra-sea's `connect` sets it to `DB_ACQUIRE_TIMEOUT_MS`),
//!   then finds nothing pending. SQLite's own locking alone is not enough:
//!   it serialises single statements, not a migrator's read-what-is-pending-
//!   then-create sequence (without a transaction, concurrent starts fail with
//!   "table users already exists"). `IMMEDIATE` takes the write lock before
//!   the migrator reads anything, rather than relying on its first statement
//!   being a write.
//!
//! The migrations themselves run as savepoints inside that transaction, so
//! one that asks for no transaction (`use_transaction() == Some(false)`, e.g.
//! for `CREATE INDEX CONCURRENTLY`) cannot be applied through these functions;
//! none does today.
//!
//! `sea-orm-migration`'s own CLI (the `migration` binary) does not take the
//! lock; `api migrate ...` and `AUTO_MIGRATE` do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, IsolationLevel,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::Migrator;
use crate::applied::schema_state;

/// The PostgreSQL advisory-lock key every migrator of this schema takes:
/// the ASCII bytes of `"todo-api"` read as a big-endian `i64`
/// (8 390 035 059 480 031 337). Anything else that takes advisory locks on
/// this database must not use it.
pub const MIGRATION_LOCK_KEY: i64 = i64::from_be_bytes(*b"todo-api");

/// What to run under the lock.
#[derive(Debug, Clone, Copy)]
enum Operation {
    Up(Option<u32>),
    Down(Option<u32>),
    Fresh,
    Status,
}

/// Applies the pending migrations (all, or the next `steps`), serialised with
/// any other migrator of this database. A migrator that waited finds nothing
/// pending and returns `Ok`; so does one of an older build whose migrations
/// are all applied, even when a newer build has applied more.
///
/// # Errors
/// The database's error when the lock cannot be taken (e.g. SQLite's busy
/// timeout passed) or a migration fails; on PostgreSQL the whole run is then
/// rolled back. `DbErr::Migration` for a backend other than PostgreSQL or
/// SQLite.
pub async fn up_locked(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    locked(db, Operation::Up(steps)).await
}

/// Reverts the last `steps` applied migrations (all when `None`) under the
/// migration lock.
///
/// # Errors
/// As [`up_locked`].
pub async fn down_locked(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    locked(db, Operation::Down(steps)).await
}

/// Drops every table and applies every migration again, under the migration
/// lock (on PostgreSQL atomically: other sessions see the old schema or the
/// new one).
///
/// # Errors
/// As [`up_locked`].
pub async fn fresh_locked(db: &DatabaseConnection) -> Result<(), DbErr> {
    locked(db, Operation::Fresh).await
}

/// Logs each migration and whether it is applied (creating the migrations
/// table if missing), under the migration lock so that it never races a
/// migrator creating that table.
///
/// # Errors
/// As [`up_locked`].
pub async fn status_locked(db: &DatabaseConnection) -> Result<(), DbErr> {
    locked(db, Operation::Status).await
}

async fn locked(db: &DatabaseConnection, operation: Operation) -> Result<(), DbErr> {
    let txn = begin_locked(db).await?;
    let outcome = match operation {
        Operation::Up(steps) => up(&txn, steps).await,
        Operation::Down(steps) => Migrator::down(&txn, steps).await,
        Operation::Fresh => Migrator::fresh(&txn).await,
        Operation::Status => Migrator::status(&txn).await,
    };
    match outcome {
        Ok(()) => txn.commit().await,
        Err(error) => {
            // The original error matters more than a failed rollback (which
            // the server does anyway when the connection goes).
            let _ = txn.rollback().await;
            Err(error)
        }
    }
}

/// Applies what is pending. With nothing pending it does nothing, also when
/// the database holds a newer build's migrations, which `Migrator::up` would
/// refuse (see [`crate::applied`]): an older instance restarting during a
/// rolling deploy must start.
async fn up(txn: &DatabaseTransaction, steps: Option<u32>) -> Result<(), DbErr> {
    if schema_state(txn).await?.pending.is_empty() {
        return Ok(());
    }
    Migrator::up(txn, steps).await
}

/// A transaction holding the migration lock of `db`.
async fn begin_locked(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db
                .begin_with_options(TransactionOptions {
                    isolation_level: Some(IsolationLevel::ReadCommitted),
                    ..TransactionOptions::default()
                })
                .await?;
            // The pool's statement_timeout (DB_STATEMENT_TIMEOUT_MS) is for
            // requests: neither waiting for another migrator nor a migration
            // rewriting a large table is cut short by it. LOCAL: only this
            // transaction, the pooled connection keeps its limit.
            txn.execute_unprepared("SET LOCAL statement_timeout = 0")
                .await?;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [MIGRATION_LOCK_KEY.into()],
            ))
            .await?;
            Ok(txn)
        }
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
        }
        other => Err(DbErr::Migration(format!(
            "unsupported database backend {other:?}: this schema supports PostgreSQL and SQLite only"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::MIGRATION_LOCK_KEY;

    #[test]
    fn the_lock_key_is_todo_api_in_ascii() {
        assert_eq!(MIGRATION_LOCK_KEY, 0x746f_646f_2d61_7069);
        assert_eq!(MIGRATION_LOCK_KEY, 8_390_035_059_480_031_337);
    }
}
