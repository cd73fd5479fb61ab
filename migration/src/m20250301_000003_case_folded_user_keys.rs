//! Case-insensitive uniqueness of email and username by the domain's
//! definition, `domain::user::fold_case`, instead of SQL `lower()`.
//!
//! The first migration's unique indexes on `lower(email)` and
//! `lower(username)` meant different things per backend: SQLite's `lower()`
//! folds ASCII only, PostgreSQL's follows the database's `LC_CTYPE` (ASCII
//! only too in a `C`-locale database). So `Émile@example.org` and
//! `émile@example.org` could be two users on SQLite and one on PostgreSQL.
//! Now the application computes the keys (`email_key`, `username_key`, both
//! `fold_case` of their column) and writes them with every row; the
//! database only keeps them unique:
//!
//! - `email_key` and `username_key`: `TEXT NOT NULL` (no width: lower-casing
//!   may lengthen a text, `İ` becomes two characters).
//! - `users_email_folded_key` and `users_username_folded_key`: unique
//!   indexes on them. As before, the index names are part of the contract
//!   with `infra-sea`, which maps a unique violation to the field. (SQLite
//!   names the columns rather than the index in its message,
//!   `UNIQUE constraint failed: users.email_key`; infra-sea reads both.)
//! - The `lower()` indexes are dropped.
//!
//! Up fills the keys of the rows already there from Rust, with
//! `domain::fold_case` itself (the migration crate depends on `domain`, which
//! depends on no store, so the fold is defined once). If two rows already
//! have the same key (possible on SQLite, whose `lower()` let `É...` and
//! `é...` both in), up fails with a message naming the users by id and what
//! to do, and changes nothing (it runs in a transaction). A later change of
//! `fold_case` would need a new migration recomputing the keys: this one
//! uses the function as it is when it runs.
//!
//! Down restores the `lower()` indexes and drops the key columns. It first
//! checks that `lower()` leaves the values unique (it may not: PostgreSQL's
//! `lower('İ')` is `i`, `fold_case` makes it `i̇`) and refuses with a message
//! if not.
//!
//! SQLite cannot add a `NOT NULL` column without a default, nor add the
//! constraint later short of rebuilding `users`, which would mean rebuilding
//! every table referring to it (dropping `users` with foreign keys on cascades
//! the delete to todos and sessions, and the pragma cannot be turned off
//! inside the migration's transaction). So on SQLite the columns are
//! `NOT NULL DEFAULT ''`, the default there for `ALTER TABLE`'s sake only:
//! every row gets its real key right away, and every write of infra-sea sets
//! both keys. PostgreSQL's columns have no default (a write without a key is
//! refused there, which the PostgreSQL pass of the tests would show).

use std::collections::BTreeMap;

use domain::fold_case;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::backend_sql::{run_per_backend, unsupported};

#[derive(DeriveMigrationName)]
pub struct Migration;

// Taking ACCESS EXCLUSIVE on `users` until commit: no row is written
// between reading the rows and indexing their keys.
const POSTGRES_ADD_COLUMNS: &[&str] =
    &["ALTER TABLE users ADD COLUMN email_key TEXT NULL, ADD COLUMN username_key TEXT NULL"];

// The migration runs under `BEGIN IMMEDIATE` (see `lock`): SQLite's write
// lock is held already.
const SQLITE_ADD_COLUMNS: &[&str] = &[
    "ALTER TABLE users ADD COLUMN email_key TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE users ADD COLUMN username_key TEXT NOT NULL DEFAULT ''",
];

const POSTGRES_CONSTRAIN: &[&str] = &[
    "ALTER TABLE users ALTER COLUMN email_key SET NOT NULL, ALTER COLUMN username_key SET NOT NULL",
    "CREATE UNIQUE INDEX users_email_folded_key ON users (email_key)",
    "CREATE UNIQUE INDEX users_username_folded_key ON users (username_key)",
    "DROP INDEX users_email_lower_key",
    "DROP INDEX users_username_lower_key",
];

const SQLITE_CONSTRAIN: &[&str] = &[
    "CREATE UNIQUE INDEX users_email_folded_key ON users (email_key)",
    "CREATE UNIQUE INDEX users_username_folded_key ON users (username_key)",
    "DROP INDEX users_email_lower_key",
    "DROP INDEX users_username_lower_key",
];

// The first migration's indexes, as it created them.
const RESTORE_LOWER_INDEXES: &[&str] = &[
    "CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))",
    "CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username))",
    "DROP INDEX users_email_folded_key",
    "DROP INDEX users_username_folded_key",
];

const POSTGRES_DROP_COLUMNS: &[&str] =
    &["ALTER TABLE users DROP COLUMN email_key, DROP COLUMN username_key"];

// SQLite drops one column per statement (3.35+), once no index uses it.
const SQLITE_DROP_COLUMNS: &[&str] = &[
    "ALTER TABLE users DROP COLUMN email_key",
    "ALTER TABLE users DROP COLUMN username_key",
];

/// One row's id and the texts whose keys it needs.
struct UserRow {
    id: i64,
    email: String,
    username: String,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_per_backend(manager, POSTGRES_ADD_COLUMNS, SQLITE_ADD_COLUMNS).await?;
        let rows = read_users(manager).await?;
        check_keys_unique(&rows)?;
        write_keys(manager, &rows).await?;
        run_per_backend(manager, POSTGRES_CONSTRAIN, SQLITE_CONSTRAIN).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        check_lower_unique(manager).await?;
        run_per_backend(manager, RESTORE_LOWER_INDEXES, RESTORE_LOWER_INDEXES).await?;
        run_per_backend(manager, POSTGRES_DROP_COLUMNS, SQLITE_DROP_COLUMNS).await
    }

    // As the earlier migrations: all or nothing on both backends (a refused
    // up leaves the columns unadded).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn read_users(manager: &SchemaManager<'_>) -> Result<Vec<UserRow>, DbErr> {
    let connection = manager.get_connection();
    let rows = connection
        .query_all_raw(Statement::from_string(
            manager.get_database_backend(),
            "SELECT id, email, username FROM users ORDER BY id",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(UserRow {
                id: row.try_get("", "id")?,
                email: row.try_get("", "email")?,
                username: row.try_get("", "username")?,
            })
        })
        .collect()
}

/// Refuses, naming the users, when two rows' emails (or usernames) have one
/// `fold_case` key: the unique index could not be built, and which of the
/// two is the real account is the operator's call, not the migration's.
fn check_keys_unique(rows: &[UserRow]) -> Result<(), DbErr> {
    let mut problems = collisions("email", rows.iter().map(|row| (row.id, &row.email)));
    problems.extend(collisions(
        "username",
        rows.iter().map(|row| (row.id, &row.username)),
    ));
    if problems.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "m20250301_000003_case_folded_user_keys cannot make email and username unique \
         ignoring case (as domain::user::fold_case defines it): {}. \
         They were stored as different users because the old `lower()` indexes fold ASCII \
         only. Nothing was changed. Decide which account is the real one, then change the \
         email or username of the other (or delete it), for example \
         `SELECT id, email, username FROM users WHERE id IN (...)`, \
         and run the migration again.",
        problems.join("; ")
    )))
}

/// "users 3, 7 have the same email ignoring case", per group of rows whose
/// texts have one key (ids ascending, groups by their first id).
fn collisions<'a>(field: &str, texts: impl Iterator<Item = (i64, &'a String)>) -> Vec<String> {
    let mut by_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (id, text) in texts {
        by_key.entry(fold_case(text)).or_default().push(id);
    }
    let mut groups: Vec<Vec<i64>> = by_key.into_values().filter(|ids| ids.len() > 1).collect();
    groups.sort();
    groups
        .into_iter()
        .map(|ids| {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(
                "users {} have the same {field} ignoring case",
                ids.join(", ")
            )
        })
        .collect()
}

async fn write_keys(manager: &SchemaManager<'_>, rows: &[UserRow]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "UPDATE users SET email_key = $1, username_key = $2 WHERE id = $3",
        DbBackend::Sqlite => "UPDATE users SET email_key = ?, username_key = ? WHERE id = ?",
        other => return Err(unsupported(other)),
    };
    let connection = manager.get_connection();
    for row in rows {
        let values: [Value; 3] = [
            fold_case(&row.email).into(),
            fold_case(&row.username).into(),
            row.id.into(),
        ];
        connection
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Down's check: the `lower()` indexes can be built again.
async fn check_lower_unique(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let mut problems = Vec::new();
    for field in ["email", "username"] {
        let duplicates = connection
            .query_all_raw(Statement::from_string(
                manager.get_database_backend(),
                format!(
                    "SELECT count(*) AS n FROM users GROUP BY lower({field}) HAVING count(*) > 1"
                ),
            ))
            .await?;
        if !duplicates.is_empty() {
            problems.push(format!(
                "{} groups of users have the same lower({field})",
                duplicates.len()
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "m20250301_000003_case_folded_user_keys cannot be reverted: the previous schema's \
         unique indexes on lower(email) and lower(username) would not hold ({}). \
         Nothing was changed. Make those values distinct first (find them with \
         `SELECT lower(email), count(*) FROM users GROUP BY 1 HAVING count(*) > 1`).",
        problems.join("; ")
    )))
}
