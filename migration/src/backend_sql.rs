//! Running a migration written as raw SQL per backend: PostgreSQL and SQLite
//! only, every other backend refused with a clear message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Runs `postgres` or `sqlite`, whichever matches the connection.
pub(crate) async fn run_per_backend(
    manager: &SchemaManager<'_>,
    postgres: &[&str],
    sqlite: &[&str],
) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Postgres => run(manager, postgres).await,
        DbBackend::Sqlite => run(manager, sqlite).await,
        other => Err(unsupported(other)),
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for statement in statements {
        connection.execute_unprepared(statement).await?;
    }
    Ok(())
}

pub(crate) fn unsupported(backend: DbBackend) -> DbErr {
    DbErr::Migration(format!(
        "unsupported database backend {backend:?}: this schema supports PostgreSQL and SQLite only"
    ))
}
