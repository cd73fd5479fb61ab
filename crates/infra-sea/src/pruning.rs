//! [`StorePruner`] on SeaORM: ended sessions with their refresh tokens, and
//! old login events, deleted in batches.
//!
//! A pass runs three steps, each a loop of batches until a batch deletes
//! fewer rows than [`BATCH_ROWS`]:
//!
//! 1. the refresh tokens of ended sessions (`DELETE ... WHERE token_hash IN
//!    (SELECT ... JOIN sessions ... LIMIT n)`);
//! 2. the ended sessions themselves (any token a racing rotation added
//!    meanwhile goes with them, by `ON DELETE CASCADE`);
//! 3. login events older than the rules' instant.
//!
//! Every batch is one short transaction of its own, so no lock is held for
//! long, and on PostgreSQL its rows are chosen `FOR UPDATE SKIP LOCKED`: a
//! row a request is writing (a rotation holding its token) is left for the
//! next pass instead of being waited for.
//!
//! **One instance at a time.** On PostgreSQL each batch first takes
//! `pg_try_advisory_xact_lock(`[`PRUNE_LOCK_KEY`]`)`. When another
//! instance holds it, the batch does nothing and the pass ends
//! [`PruneOutcome::Busy`]: the other pass finishes the job. The lock is
//! transaction-scoped, so it cannot outlive its batch nor leak onto a
//! pooled connection, and it needs no connection beyond the one the batch
//! uses. On SQLite, one file serves one instance, and each batch's
//! `BEGIN IMMEDIATE` takes the database's write lock anyway.

use async_trait::async_trait;
use domain::RepositoryError;
use domain::ports::{PruneOutcome, PruneRules, Pruned, StorePruner};
use sea_orm::sea_query::{Expr, ExprTrait as _, LockBehavior, LockType, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, QueryFilter, Statement,
};

use crate::entity::{login_attempt, refresh_token, session};
use crate::error::db_error;
use crate::write_transaction::begin_write;

/// The PostgreSQL advisory-lock key of pruning: the ASCII bytes of
/// `"todo-prn"` as a big-endian `i64`. Distinct from the migration lock's.
pub const PRUNE_LOCK_KEY: i64 = i64::from_be_bytes(*b"todo-prn");

/// Rows one batch deletes at most: small enough that a batch takes
/// milliseconds, large enough that a backlog of a million rows takes a
/// couple of thousand round trips.
pub const BATCH_ROWS: u64 = 500;

/// Prunes the store behind `db`.
#[derive(Clone)]
pub struct SeaStorePruner {
    db: DatabaseConnection,
    batch_rows: u64,
}

impl SeaStorePruner {
    /// Batches of [`BATCH_ROWS`].
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_batch_rows(db, BATCH_ROWS)
    }

    /// Batches of `batch_rows` (at least 1): for the tests that a pass
    /// spans several batches.
    #[must_use]
    pub fn with_batch_rows(db: DatabaseConnection, batch_rows: u64) -> Self {
        Self {
            db,
            batch_rows: Ord::max(batch_rows, 1),
        }
    }
}

/// The three steps of a pass.
#[derive(Debug, Clone, Copy)]
enum Step {
    RefreshTokens,
    Sessions,
    LoginAttempts,
}

/// Ended (expired or revoked) before the rules' instant.
fn ended(rules: &PruneRules) -> Condition {
    Condition::any()
        .add(
            Expr::col((session::Entity, session::Column::ExpiresAt))
                .lt(rules.sessions_ended_before),
        )
        .add(
            Expr::col((session::Entity, session::Column::RevokedAt))
                .lt(rules.sessions_ended_before),
        )
}

/// `SELECT <column> ... LIMIT n`, its rows locked and others' locked rows
/// skipped (PostgreSQL; SQLite has no row locks and ignores it).
fn chosen(
    select: &mut SelectStatement,
    lock_table: impl sea_orm::sea_query::IntoIden,
    limit: u64,
) -> SelectStatement {
    select
        .limit(limit)
        .lock_with_tables_behavior(LockType::Update, [lock_table], LockBehavior::SkipLocked)
        .to_owned()
}

impl SeaStorePruner {
    /// One batch of `step`: `None` when another instance holds the lock.
    async fn batch(&self, step: Step, rules: &PruneRules) -> Result<Option<u64>, DbErr> {
        let txn = begin_write(&self.db).await?;
        if !take_lock(&txn).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        let limit = self.batch_rows;
        let deleted = match step {
            Step::RefreshTokens => {
                let doomed = chosen(
                    Query::select()
                        .column((refresh_token::Entity, refresh_token::Column::TokenHash))
                        .from(refresh_token::Entity)
                        .inner_join(
                            session::Entity,
                            Expr::col((session::Entity, session::Column::Id))
                                .equals((refresh_token::Entity, refresh_token::Column::SessionId)),
                        )
                        .cond_where(ended(rules)),
                    refresh_token::Entity,
                    limit,
                );
                refresh_token::Entity::delete_many()
                    .filter(refresh_token::Column::TokenHash.in_subquery(doomed))
                    .exec(&txn)
                    .await?
            }
            Step::Sessions => {
                let doomed = chosen(
                    Query::select()
                        .column(session::Column::Id)
                        .from(session::Entity)
                        .cond_where(ended(rules)),
                    session::Entity,
                    limit,
                );
                session::Entity::delete_many()
                    .filter(session::Column::Id.in_subquery(doomed))
                    .exec(&txn)
                    .await?
            }
            Step::LoginAttempts => {
                let doomed = chosen(
                    Query::select()
                        .column(login_attempt::Column::Id)
                        .from(login_attempt::Entity)
                        .and_where(login_attempt::Column::OccurredAt.lt(rules.attempts_before)),
                    login_attempt::Entity,
                    limit,
                );
                login_attempt::Entity::delete_many()
                    .filter(login_attempt::Column::Id.in_subquery(doomed))
                    .exec(&txn)
                    .await?
            }
        }
        .rows_affected;
        txn.commit().await?;
        Ok(Some(deleted))
    }
}

/// PostgreSQL: the pruning lock for this transaction, if free. SQLite:
/// always (`BEGIN IMMEDIATE` holds the write lock already).
async fn take_lock(txn: &DatabaseTransaction) -> Result<bool, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            [PRUNE_LOCK_KEY.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("pg_try_advisory_xact_lock returned no row".to_owned()))?;
    row.try_get("", "locked")
}

#[async_trait]
impl StorePruner for SeaStorePruner {
    async fn prune(&self, rules: &PruneRules) -> Result<PruneOutcome, RepositoryError> {
        let mut pruned = Pruned::default();
        for step in [Step::RefreshTokens, Step::Sessions, Step::LoginAttempts] {
            loop {
                let Some(deleted) = self
                    .batch(step, rules)
                    .await
                    .map_err(db_error("pruning ended sessions and old login attempts"))?
                else {
                    return Ok(PruneOutcome::Busy(pruned));
                };
                let counter = match step {
                    Step::RefreshTokens => &mut pruned.refresh_tokens,
                    Step::Sessions => &mut pruned.sessions,
                    Step::LoginAttempts => &mut pruned.login_attempts,
                };
                *counter += deleted;
                if deleted < self.batch_rows {
                    break;
                }
            }
        }
        Ok(PruneOutcome::Done(pruned))
    }
}
