//! [`Outbox`] on SeaORM: the `outbox` table.
//!
//! Claiming is one `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING`:
//! on PostgreSQL the subquery's rows are taken `FOR UPDATE SKIP LOCKED`, so
//! concurrent claimers (of any instance) each take rows the others have not
//! locked, and a row another claim has just moved past `now` is re-checked
//! against the new `next_attempt_at` and left out. On SQLite the statement
//! runs in a `BEGIN IMMEDIATE` transaction ([`begin_write`]): one writer at
//! a time, so the second claim sees the first one's leases.
//!
//! Every other transition (sent, retry, failed, released) applies to a
//! pending message only: a message already finished stays as it is.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::Outbox;
use domain::time::add_saturating;
use domain::{ClaimedMail, Email, MailMessage, OutboxId, OutboxStats, RepositoryError};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Statement, Value,
};

use crate::entity::outbox::{self, FAILED, MailPart, PENDING, SENT};
use crate::error::db_error;
use crate::storable_text::storable;
use crate::write_transaction::begin_write;

/// How much of a delivery error is kept (it is for the operator; the
/// mailer's errors are one line).
pub(crate) const LAST_ERROR_CHARS: usize = 2000;

/// The claim on PostgreSQL: `$1` the lease's end, `$2` now, `$3` the limit.
pub const CLAIM_POSTGRES: &str = "UPDATE outbox \
     SET attempts = attempts + 1, next_attempt_at = $1 \
     WHERE id IN (\
         SELECT id FROM outbox \
         WHERE status = 'pending' AND next_attempt_at <= $2 \
         ORDER BY next_attempt_at, id \
         LIMIT $3 \
         FOR UPDATE SKIP LOCKED\
     ) \
     RETURNING id, recipient, subject, text_body, html_body, attempts, created_at";

/// The claim on SQLite (one writer at a time: no row locks to skip).
pub const CLAIM_SQLITE: &str = "UPDATE outbox \
     SET attempts = attempts + 1, next_attempt_at = ?1 \
     WHERE id IN (\
         SELECT id FROM outbox \
         WHERE status = 'pending' AND next_attempt_at <= ?2 \
         ORDER BY next_attempt_at, id \
         LIMIT ?3\
     ) \
     RETURNING id, recipient, subject, text_body, html_body, attempts, created_at";

/// Mail in `outbox`.
#[derive(Clone)]
pub struct SeaOutbox {
    db: DatabaseConnection,
}

impl SeaOutbox {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Queues `message`, due at `now`, on `conn` (the pool, or the transaction
/// of a port that queues mail with its own rows).
pub(crate) async fn queue<C: ConnectionTrait>(
    conn: &C,
    message: MailMessage,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = outbox::ActiveModel {
        recipient: Set(message.to.as_str().to_owned()),
        subject: Set(message.subject),
        text_body: Set(MailPart(message.text)),
        html_body: Set(MailPart(message.html)),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
        ..Default::default()
    };
    Ok(outbox::Entity::insert(row).exec(conn).await?.last_insert_id)
}

/// A row the claim returned.
#[derive(FromQueryResult)]
struct ClaimedRow {
    id: i64,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i32,
    created_at: DateTime<Utc>,
}

impl From<ClaimedRow> for ClaimedMail {
    fn from(row: ClaimedRow) -> Self {
        ClaimedMail {
            id: OutboxId(row.id),
            message: MailMessage {
                to: Email::from_stored(row.recipient),
                subject: row.subject,
                text: row.text_body,
                html: row.html_body,
            },
            attempt: u32::try_from(row.attempts).unwrap_or(0),
            queued_at: row.created_at,
        }
    }
}

/// The claim statement for `backend`.
fn claim_statement(
    backend: DbBackend,
    lease_end: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: u32,
) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => CLAIM_SQLITE,
        _ => CLAIM_POSTGRES,
    };
    Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(lease_end),
            Value::from(now),
            Value::from(i64::from(limit)),
        ],
    )
}

/// The pending message `id`: what every transition after a claim updates.
fn pending(id: OutboxId) -> sea_orm::UpdateMany<outbox::Entity> {
    outbox::Entity::update_many()
        .filter(outbox::Column::Id.eq(id.0))
        .filter(outbox::Column::Status.eq(PENDING))
}

/// Finished as `status` at `now`: the subject and the parts are erased.
async fn finish(
    db: &DatabaseConnection,
    id: OutboxId,
    status: &'static str,
    now: DateTime<Utc>,
    error: Option<&str>,
) -> Result<(), DbErr> {
    let at_column = if status == SENT {
        outbox::Column::SentAt
    } else {
        outbox::Column::FailedAt
    };
    let mut update = pending(id)
        .col_expr(outbox::Column::Status, Expr::value(status))
        .col_expr(at_column, Expr::value(now))
        .col_expr(outbox::Column::Subject, Expr::value(""))
        .col_expr(outbox::Column::TextBody, Expr::value(""))
        .col_expr(outbox::Column::HtmlBody, Expr::value(""));
    if let Some(error) = error {
        update = update.col_expr(
            outbox::Column::LastError,
            Expr::value(storable(error, LAST_ERROR_CHARS)),
        );
    }
    update.exec(db).await?;
    Ok(())
}

#[async_trait]
impl Outbox for SeaOutbox {
    async fn enqueue(
        &self,
        message: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<OutboxId, RepositoryError> {
        queue(&self.db, message, now)
            .await
            .map(OutboxId)
            .map_err(db_error("queueing a mail"))
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, RepositoryError> {
        let backend = self.db.get_database_backend();
        let statement = claim_statement(backend, add_saturating(now, lease), now, limit);
        let mut rows = if backend == DbBackend::Sqlite {
            let txn = begin_write(&self.db)
                .await
                .map_err(db_error("starting to claim mail"))?;
            let rows = ClaimedRow::find_by_statement(statement)
                .all(&txn)
                .await
                .map_err(db_error("claiming mail"))?;
            txn.commit()
                .await
                .map_err(db_error("committing a claim of mail"))?;
            rows
        } else {
            ClaimedRow::find_by_statement(statement)
                .all(&self.db)
                .await
                .map_err(db_error("claiming mail"))?
        };
        // RETURNING has no order: oldest first, as the port says.
        rows.sort_by_key(|row| (row.created_at, row.id));
        Ok(rows.into_iter().map(ClaimedMail::from).collect())
    }

    async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), RepositoryError> {
        finish(&self.db, id, SENT, now, None)
            .await
            .map_err(db_error("marking a mail sent"))
    }

    async fn retry_at(
        &self,
        id: OutboxId,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), RepositoryError> {
        pending(id)
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(at))
            .col_expr(
                outbox::Column::LastError,
                Expr::value(storable(error, LAST_ERROR_CHARS)),
            )
            .exec(&self.db)
            .await
            .map_err(db_error("scheduling a mail's next attempt"))?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: OutboxId,
        now: DateTime<Utc>,
        error: &str,
    ) -> Result<(), RepositoryError> {
        finish(&self.db, id, FAILED, now, Some(error))
            .await
            .map_err(db_error("marking a mail failed"))
    }

    async fn release(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), RepositoryError> {
        pending(id)
            .filter(outbox::Column::Attempts.gt(0))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).sub(1),
            )
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
            .exec(&self.db)
            .await
            .map_err(db_error("releasing a claimed mail"))?;
        Ok(())
    }

    async fn stats(&self) -> Result<OutboxStats, RepositoryError> {
        let groups: Vec<(String, i64, Option<DateTime<Utc>>)> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Status)
            .column_as(outbox::Column::Id.count(), "messages")
            .column_as(outbox::Column::CreatedAt.min(), "oldest")
            .group_by(outbox::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error("counting the outbox"))?;
        let mut stats = OutboxStats::default();
        for (status, messages, oldest) in groups {
            let messages = u64::try_from(messages).unwrap_or(0);
            match status.as_str() {
                PENDING => {
                    stats.pending = messages;
                    stats.oldest_pending = oldest;
                }
                SENT => stats.sent = messages,
                FAILED => stats.failed = messages,
                // The table's CHECK allows no other status.
                _ => {}
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_locks_on_postgres_only() {
        let now = domain::time::SystemClock::now();
        let pg = claim_statement(DbBackend::Postgres, now, now, 3);
        assert!(pg.sql.contains("FOR UPDATE SKIP LOCKED"), "{}", pg.sql);
        assert_eq!(pg.values.map(|v| v.0.len()), Some(3));
        let sqlite = claim_statement(DbBackend::Sqlite, now, now, 3);
        assert!(!sqlite.sql.contains("FOR UPDATE"), "{}", sqlite.sql);
        assert!(sqlite.sql.contains("?3"), "{}", sqlite.sql);
    }
}
