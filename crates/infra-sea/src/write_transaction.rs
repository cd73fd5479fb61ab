//! Write transactions that behave alike on both backends.
//!
//! On SQLite a plain `BEGIN` is deferred: the write lock is asked for only at
//! the first write, and a transaction that has read by then may fail at once
//! with `SQLITE_BUSY` instead of waiting. `BEGIN IMMEDIATE` takes the write
//! lock up front, so concurrent writers queue on the busy timeout, as they
//! queue on row locks in PostgreSQL (which ignores the mode).

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Begins a transaction meant to write.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
