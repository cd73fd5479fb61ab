//! Deleting what no rule of the service reads any more, so that the tables
//! of sessions, refresh tokens, counted login events, delivered mail and
//! spent account tokens stay bounded.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;

/// What a pass may delete. The instants are computed by
/// [`crate::services::PruneService`] from its policy and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneRules {
    /// A session that **ended** before this instant (its `expires_at`, or
    /// its `revoked_at`, is earlier) goes, with every refresh token of its
    /// family, spent or current. A session that is live, or ended at or
    /// after it, keeps every token: the grace window and reuse detection
    /// read the spent ones for as long as their session lives.
    pub sessions_ended_before: DateTime<Utc>,
    /// Counted login and registration events that occurred before this
    /// instant go (no throttling window reaches back that far).
    pub attempts_before: DateTime<Utc>,
    /// An outbox message that became sent or failed before this instant
    /// goes. A pending one (waiting, or claimed by a worker) never does.
    pub outbox_finished_before: DateTime<Utc>,
    /// An account token that was used, was revoked, or expired before this
    /// instant goes. A live one never does, nor one that ended at or after
    /// it.
    pub account_tokens_ended_before: DateTime<Utc>,
}

/// Rows one pass deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub refresh_tokens: u64,
    pub login_attempts: u64,
    /// Sent or failed outbox messages.
    pub outbox: u64,
    pub account_tokens: u64,
}

impl Pruned {
    /// Nothing was deleted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl std::ops::AddAssign for Pruned {
    fn add_assign(&mut self, other: Self) {
        self.sessions += other.sessions;
        self.refresh_tokens += other.refresh_tokens;
        self.login_attempts += other.login_attempts;
        self.outbox += other.outbox;
        self.account_tokens += other.account_tokens;
    }
}

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneOutcome {
    /// Everything the rules name is gone; these are the rows this pass
    /// deleted itself.
    Done(Pruned),
    /// Another instance was pruning this store: this pass stopped (after
    /// deleting what it counts, perhaps nothing), leaving the rest to it.
    Busy(Pruned),
}

impl PruneOutcome {
    /// The rows this pass deleted, however it ended.
    #[must_use]
    pub fn pruned(&self) -> Pruned {
        match self {
            Self::Done(p) | Self::Busy(p) => *p,
        }
    }
}

/// Deletes ended sessions, their refresh tokens, old login events, finished
/// outbox messages and ended account tokens.
///
/// An implementation MUST:
/// - delete exactly what [`PruneRules`] names and nothing else: never a
///   live session nor a token of one, never a session that ended at or
///   after `sessions_ended_before`, never an event at or after
///   `attempts_before`, never a pending outbox message nor one that
///   finished at or after `outbox_finished_before`, never a live account
///   token nor one that ended at or after `account_tokens_ended_before`;
/// - delete in small batches, each its own short transaction, so that no
///   statement holds locks for long however much there is to delete (a
///   store with nothing to lock, e.g. in memory, may do it at once);
/// - when several instances share the store, let only one of them delete
///   at a time (PostgreSQL: an advisory lock): a pass that finds another
///   one at work stops and answers [`PruneOutcome::Busy`];
/// - count what it deleted itself, per table (a session's tokens count as
///   refresh tokens, not as sessions).
///
/// A request racing a pass gets the answer it would have got without it:
/// what is deleted is already refused (an ended session's tokens answer
/// 401 whether they are stored or not).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StorePruner: Send + Sync {
    /// One pass over the store.
    async fn prune(&self, rules: &PruneRules) -> Result<PruneOutcome, RepositoryError>;
}
