//! [`DatabaseProbe`] on SeaORM: asks the server for its clock.

use anyhow::{Context as _, anyhow};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::RepositoryError;
use domain::ports::DatabaseProbe;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::error::db_error;

/// Runs `SELECT CURRENT_TIMESTAMP`, which both backends understand.
#[derive(Clone)]
pub struct SeaDatabaseProbe {
    db: DatabaseConnection,
}

impl SeaDatabaseProbe {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// SQLite answers `CURRENT_TIMESTAMP` with UTC text such as
/// `2025-01-01 12:34:56` (no offset, whole seconds).
fn parse_sqlite_timestamp(text: &str) -> Result<DateTime<Utc>, RepositoryError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .with_context(|| format!("SQLite returned an unreadable CURRENT_TIMESTAMP {text:?}"))
        .map_err(RepositoryError::Unexpected)
}

#[async_trait]
impl DatabaseProbe for SeaDatabaseProbe {
    async fn current_time(&self) -> Result<DateTime<Utc>, RepositoryError> {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT CURRENT_TIMESTAMP AS now",
            ))
            .await
            .map_err(db_error("asking the database for its time"))?
            .ok_or_else(|| {
                RepositoryError::Unexpected(anyhow!("SELECT CURRENT_TIMESTAMP returned no row"))
            })?;
        match backend {
            DbBackend::Sqlite => {
                let text: String = row
                    .try_get("", "now")
                    .map_err(db_error("reading SQLite's CURRENT_TIMESTAMP"))?;
                parse_sqlite_timestamp(&text)
            }
            _ => row
                .try_get::<DateTime<Utc>>("", "now")
                .map_err(db_error("reading the database's CURRENT_TIMESTAMP")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sqlite_text_is_read_as_utc() {
        let t = parse_sqlite_timestamp("2025-03-04 05:06:07").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-04T05:06:07+00:00");
        assert!(parse_sqlite_timestamp("yesterday").is_err());
    }
}
