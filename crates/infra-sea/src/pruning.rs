//! [`StorePruner`] on SeaORM: ended sessions with their refresh tokens, old
//! login events, finished outbox messages and ended account tokens, deleted
//! in batches.
//!
//! A pass runs four steps, each a loop of batches until a batch finds fewer
//! rows than its limit:
//!
//! 1. ended sessions: a batch picks up to [`BATCH_ROWS`] / 5 of them (by
//!    the indexes on `expires_at` and `revoked_at`, migration 000005),
//!    deletes their refresh tokens (by `session_id`), then the sessions;
//! 2. login events older than the rules' instant, up to [`BATCH_ROWS`] a
//!    batch (by the index on `occurred_at`);
//! 3. outbox messages sent or failed before the rules' instant, up to
//!    [`BATCH_ROWS`] a batch (by the partial index on
//!    `COALESCE(sent_at, failed_at)`, migration 000006; never a pending
//!    one);
//! 4. account tokens used, revoked or expired before the rules' instant,
//!    up to [`BATCH_ROWS`] a batch (by the indexes on `used_at`,
//!    `revoked_at` and `expires_at`, migration 000006).
//!
//! A batch picks its sessions first and deletes their tokens by session id,
//! so its cost does not grow with what earlier batches deleted (a join
//! from the tokens to the ended sessions would walk past every session
//! already emptied, batch after batch), and what it deletes is counted
//! exactly (nothing is left for `ON DELETE CASCADE`).
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
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, QueryFilter, QuerySelect, Statement,
};

use crate::entity::{account_token, login_attempt, outbox, refresh_token, session};
use crate::error::db_error;
use crate::write_transaction::begin_write;

/// The PostgreSQL advisory-lock key of pruning: the ASCII bytes of
/// `"todo-prn"` as a big-endian `i64`. Distinct from the migration lock's.
pub const PRUNE_LOCK_KEY: i64 = i64::from_be_bytes(*b"todo-prn");

/// Login events one batch deletes at most, and five times the sessions one
/// batch deletes (with their tokens): small enough that a batch takes
/// milliseconds, large enough that a backlog of a million rows takes a few
/// thousand round trips.
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

/// The four steps of a pass.
#[derive(Debug, Clone, Copy)]
enum Step {
    Sessions,
    LoginAttempts,
    Outbox,
    AccountTokens,
}

/// What one batch did: rows it found to delete (to decide whether another
/// batch is needed), and what it deleted.
struct Batch {
    found: u64,
    pruned: Pruned,
}

impl Batch {
    /// A batch of one table's rows: it found what it deleted.
    fn of(pruned: Pruned) -> Self {
        Self {
            found: pruned.login_attempts + pruned.outbox + pruned.account_tokens,
            pruned,
        }
    }
}

/// Ended (expired or revoked) before the rules' instant.
fn ended(rules: &PruneRules) -> Condition {
    Condition::any()
        .add(session::Column::ExpiresAt.lt(rules.sessions_ended_before))
        .add(session::Column::RevokedAt.lt(rules.sessions_ended_before))
}

/// Sent or failed before the rules' instant: the expression and the
/// predicate of the index `outbox_finished_idx`.
fn finished(rules: &PruneRules) -> Condition {
    Condition::all()
        .add(outbox::Column::Status.ne(outbox::PENDING))
        .add(
            Func::coalesce([
                Expr::col(outbox::Column::SentAt),
                Expr::col(outbox::Column::FailedAt),
            ])
            .lt(rules.outbox_finished_before),
        )
}

/// Used, revoked or expired before the rules' instant.
fn token_ended(rules: &PruneRules) -> Condition {
    let before = rules.account_tokens_ended_before;
    Condition::any()
        .add(account_token::Column::UsedAt.lt(before))
        .add(account_token::Column::RevokedAt.lt(before))
        .add(account_token::Column::ExpiresAt.lt(before))
}

impl SeaStorePruner {
    /// Deletes up to a batch of `E`'s rows matching `condition`, chosen by
    /// `id` (`FOR UPDATE SKIP LOCKED` on PostgreSQL): how many it deleted.
    async fn delete_batch<E: EntityTrait>(
        &self,
        txn: &DatabaseTransaction,
        id: E::Column,
        condition: Condition,
    ) -> Result<u64, DbErr> {
        let doomed = Query::select()
            .column(id)
            .from(E::default())
            .cond_where(condition)
            .limit(self.batch_rows)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        Ok(E::delete_many()
            .filter(id.in_subquery(doomed))
            .exec(txn)
            .await?
            .rows_affected)
    }

    /// Sessions one batch deletes at most: a fifth of the row limit, for
    /// each brings its refresh tokens along (one per refresh it served).
    fn session_batch(&self) -> u64 {
        Ord::max(self.batch_rows / 5, 1)
    }

    /// One batch of `step`: `None` when another instance holds the lock.
    async fn batch(&self, step: Step, rules: &PruneRules) -> Result<Option<Batch>, DbErr> {
        let txn = begin_write(&self.db).await?;
        if !take_lock(&txn).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        let batch = match step {
            Step::Sessions => {
                let ids: Vec<i64> = session::Entity::find()
                    .select_only()
                    .column(session::Column::Id)
                    .filter(ended(rules))
                    .limit(self.session_batch())
                    .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                    .into_tuple()
                    .all(&txn)
                    .await?;
                let found = u64::try_from(ids.len()).unwrap_or(u64::MAX);
                let mut pruned = Pruned::default();
                if !ids.is_empty() {
                    pruned.refresh_tokens = refresh_token::Entity::delete_many()
                        .filter(refresh_token::Column::SessionId.is_in(ids.clone()))
                        .exec(&txn)
                        .await?
                        .rows_affected;
                    pruned.sessions = session::Entity::delete_many()
                        .filter(session::Column::Id.is_in(ids))
                        .exec(&txn)
                        .await?
                        .rows_affected;
                }
                Batch { found, pruned }
            }
            Step::LoginAttempts => {
                let condition = Condition::all()
                    .add(login_attempt::Column::OccurredAt.lt(rules.attempts_before));
                let deleted = self
                    .delete_batch::<login_attempt::Entity>(
                        &txn,
                        login_attempt::Column::Id,
                        condition,
                    )
                    .await?;
                Batch::of(Pruned {
                    login_attempts: deleted,
                    ..Pruned::default()
                })
            }
            Step::Outbox => {
                let deleted = self
                    .delete_batch::<outbox::Entity>(&txn, outbox::Column::Id, finished(rules))
                    .await?;
                Batch::of(Pruned {
                    outbox: deleted,
                    ..Pruned::default()
                })
            }
            Step::AccountTokens => {
                let deleted = self
                    .delete_batch::<account_token::Entity>(
                        &txn,
                        account_token::Column::Id,
                        token_ended(rules),
                    )
                    .await?;
                Batch::of(Pruned {
                    account_tokens: deleted,
                    ..Pruned::default()
                })
            }
        };
        txn.commit().await?;
        Ok(Some(batch))
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
        for (step, limit) in [
            (Step::Sessions, self.session_batch()),
            (Step::LoginAttempts, self.batch_rows),
            (Step::Outbox, self.batch_rows),
            (Step::AccountTokens, self.batch_rows),
        ] {
            loop {
                let Some(batch) = self.batch(step, rules).await.map_err(db_error(
                    "pruning ended sessions, old login attempts, finished mail and ended \
                         account tokens",
                ))?
                else {
                    return Ok(PruneOutcome::Busy(pruned));
                };
                pruned += batch.pruned;
                if batch.found < limit {
                    break;
                }
            }
        }
        Ok(PruneOutcome::Done(pruned))
    }
}
