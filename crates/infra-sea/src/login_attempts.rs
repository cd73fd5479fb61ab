//! [`LoginAttempts`] on SeaORM: counted events per throttle key in
//! `login_attempts`, shared by every instance of the service.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use domain::RepositoryError;
use domain::ports::{LoginAttempts, ThrottleKey};
use sea_orm::sea_query::{LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entity::login_attempt;
use crate::error::db_error;
use crate::storable_text::storable;
use crate::write_transaction::begin_write;

/// The width of `login_attempts.key`. Only keys that cannot name a real
/// account or address are longer; cutting them merely pools their counts.
const KEY_CHARS: usize = 512;

/// How long events are kept unless told otherwise: well past the default
/// throttling windows (15 minutes for logins, 1 hour for registrations).
const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Events in `login_attempts`. Each `record` also deletes the recorded keys'
/// events older than the retention, so the table stays bounded by the
/// traffic of one retention period.
#[derive(Clone)]
pub struct SeaLoginAttempts {
    db: DatabaseConnection,
    retention: TimeDelta,
}

impl SeaLoginAttempts {
    /// Keeps events for 24 hours.
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_retention(db, DEFAULT_RETENTION)
    }

    /// Keeps events for `retention`, which must be at least the longest
    /// throttling window, or `recent` would miss pruned events.
    #[must_use]
    pub fn with_retention(db: DatabaseConnection, retention: Duration) -> Self {
        Self {
            db,
            retention: TimeDelta::from_std(retention).unwrap_or(TimeDelta::MAX),
        }
    }
}

fn storage_key(key: &ThrottleKey) -> String {
    storable(&key.storage_key(), KEY_CHARS)
}

#[async_trait]
impl LoginAttempts for SeaLoginAttempts {
    async fn record(&self, keys: &[ThrottleKey], at: DateTime<Utc>) -> Result<(), RepositoryError> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = keys.iter().map(storage_key).collect();
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to record login attempts"))?;
        login_attempt::Entity::insert_many(keys.iter().map(|key| login_attempt::ActiveModel {
            key: Set(key.clone()),
            occurred_at: Set(at),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await
        .map_err(db_error("recording login attempts"))?;
        if let Some(cutoff) = at.checked_sub_signed(self.retention) {
            // SKIP LOCKED (PostgreSQL; SQLite has one writer at a time and
            // no row locks): rows another recorder is already deleting are
            // left to it, so concurrent recorders of one key never wait for
            // each other nor deadlock over the same old rows.
            let expired = Query::select()
                .column(login_attempt::Column::Id)
                .from(login_attempt::Entity)
                .and_where(login_attempt::Column::Key.is_in(keys))
                .and_where(login_attempt::Column::OccurredAt.lt(cutoff))
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .to_owned();
            login_attempt::Entity::delete_many()
                .filter(login_attempt::Column::Id.in_subquery(expired))
                .exec(&txn)
                .await
                .map_err(db_error("pruning old login attempts"))?;
        }
        txn.commit()
            .await
            .map_err(db_error("committing login attempts"))?;
        Ok(())
    }

    async fn recent(
        &self,
        key: &ThrottleKey,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        // Served by login_attempts_key_occurred_idx (key, occurred_at DESC).
        login_attempt::Entity::find()
            .select_only()
            .column(login_attempt::Column::OccurredAt)
            .filter(login_attempt::Column::Key.eq(storage_key(key)))
            .filter(login_attempt::Column::OccurredAt.gte(since))
            .order_by_desc(login_attempt::Column::OccurredAt)
            .limit(u64::from(limit))
            .into_tuple::<DateTime<Utc>>()
            .all(&self.db)
            .await
            .map_err(db_error("reading recent login attempts"))
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), RepositoryError> {
        login_attempt::Entity::delete_many()
            .filter(login_attempt::Column::Key.eq(storage_key(key)))
            .exec(&self.db)
            .await
            .map_err(db_error("clearing login attempts"))?;
        Ok(())
    }
}
