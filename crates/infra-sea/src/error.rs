//! The one place where SeaORM's [`DbErr`] becomes the domain's
//! [`RepositoryError`]; nothing outside this crate ever sees a `DbErr`.
//!
//! - A unique violation of `users_email_folded_key` or
//!   `users_username_folded_key` (the unique indexes on the case-folded
//!   `email_key` and `username_key`, migration m20250301_000003) is a
//!   [`RepositoryError::Conflict`] naming the field.
//! - Not getting a connection in time, a closed pool, a broken connection, a
//!   server shutting down or refusing connections, or SQLite staying locked
//!   past the busy timeout is [`RepositoryError::Unavailable`].
//! - Anything else is [`RepositoryError::Unexpected`], with what was being
//!   done as context.

use domain::{ConflictField, RepositoryError};
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// The unique index behind case-insensitive email uniqueness, as
/// PostgreSQL names it in a violation.
const EMAIL_INDEX: &str = "users_email_folded_key";
/// The same index as SQLite names it: by its column (SQLite names the index
/// only for an index on an expression).
const EMAIL_INDEX_COLUMN: &str = "users.email_key";
/// The unique index behind case-insensitive username uniqueness.
const USERNAME_INDEX: &str = "users_username_folded_key";
const USERNAME_INDEX_COLUMN: &str = "users.username_key";

/// A `map_err` adapter: `.map_err(db_error("inserting a user"))`.
pub(crate) fn db_error(context: &'static str) -> impl FnOnce(DbErr) -> RepositoryError {
    move |err| to_repository_error(err, context)
}

/// Classifies a database error; `context` says what was being attempted.
pub(crate) fn to_repository_error(err: DbErr, context: &'static str) -> RepositoryError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err()
        && let Some(field) = conflict_field(&message)
    {
        return RepositoryError::Conflict(field);
    }
    if is_unavailable(&err) {
        RepositoryError::Unavailable(anyhow::Error::new(err).context(context))
    } else {
        RepositoryError::Unexpected(anyhow::Error::new(err).context(context))
    }
}

/// PostgreSQL says `... violates unique constraint "users_email_folded_key"`,
/// SQLite says `UNIQUE constraint failed: users.email_key`.
fn conflict_field(message: &str) -> Option<ConflictField> {
    if message.contains(EMAIL_INDEX) || message.contains(EMAIL_INDEX_COLUMN) {
        Some(ConflictField::Email)
    } else if message.contains(USERNAME_INDEX) || message.contains(USERNAME_INDEX_COLUMN) {
        Some(ConflictField::Username)
    } else {
        None
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_error_is_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_error_is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                postgres_code_is_unavailable(&code)
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                sqlite_code_is_unavailable(&code)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// Class 08 (connection exception), a statement cancelled by
/// `statement_timeout` (57014), the server shutting down or starting
/// (57P01..57P03), and too many connections (53300).
fn postgres_code_is_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57014" | "57P01" | "57P02" | "57P03" | "53300")
}

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with any extended code: the lock
/// was still held when the busy timeout ran out.
fn sqlite_code_is_unavailable(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnAcquireErr;

    #[test]
    fn index_names_decide_the_conflicting_field() {
        assert_eq!(
            conflict_field(
                r#"duplicate key value violates unique constraint "users_email_folded_key""#
            ),
            Some(ConflictField::Email)
        );
        assert_eq!(
            conflict_field(
                r#"duplicate key value violates unique constraint "users_username_folded_key""#
            ),
            Some(ConflictField::Username)
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: users.email_key"),
            Some(ConflictField::Email)
        );
        assert_eq!(
            conflict_field("UNIQUE constraint failed: users.username_key"),
            Some(ConflictField::Username)
        );
        assert_eq!(conflict_field("UNIQUE constraint failed: todos.id"), None);
        // The indexes the keys replaced are no conflict of this schema.
        assert_eq!(
            conflict_field("UNIQUE constraint failed: index 'users_email_lower_key'"),
            None
        );
    }

    #[test]
    fn acquire_timeout_and_closed_pool_are_unavailable() {
        for err in [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::PoolClosed.into())),
            DbErr::Exec(RuntimeErr::SqlxError(
                sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()).into(),
            )),
        ] {
            assert!(
                matches!(
                    to_repository_error(err, "test"),
                    RepositoryError::Unavailable(_)
                ),
                "not unavailable"
            );
        }
    }

    #[test]
    fn other_errors_are_unexpected_with_context() {
        let err = to_repository_error(DbErr::Custom("boom".to_owned()), "loading a todo");
        assert!(matches!(err, RepositoryError::Unexpected(_)));
        assert_eq!(format!("{err:#}"), "loading a todo: Custom Error: boom");
    }

    #[test]
    fn error_codes() {
        assert!(postgres_code_is_unavailable("08006"));
        assert!(postgres_code_is_unavailable("57P01"));
        assert!(postgres_code_is_unavailable("57014"));
        assert!(!postgres_code_is_unavailable("23505"));
        assert!(sqlite_code_is_unavailable("5"));
        assert!(sqlite_code_is_unavailable("517"));
        assert!(!sqlite_code_is_unavailable("2067"));
    }
}
