//! The transactional outbox: mail waiting to be delivered, in the same store
//! as the rows that caused it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::mail::{ClaimedMail, MailMessage, OutboxId, OutboxStats};

/// Messages waiting for delivery. A message is *pending* (due at its next
/// attempt time, or claimed by a worker until its lease runs out), *sent*,
/// or *failed* (given up on). Delivery is at least once: a worker that dies
/// between sending and [`Outbox::mark_sent`] leaves the message to be sent
/// again when its lease runs out; nothing else ever sends a message twice.
///
/// Writers that queue a message together with other rows do it through
/// their own port's atomic method (e.g.
/// [`AccountTokenRepository::issue`](crate::ports::AccountTokenRepository::issue));
/// [`Outbox::enqueue`] is for a message that goes alone.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Queues `message`, due at `now`.
    async fn enqueue(
        &self,
        message: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<OutboxId, RepositoryError>;

    /// Claims up to `limit` pending messages due at `now`, oldest first: for
    /// each, the attempt count grows by one and the next attempt moves to
    /// `now + lease`. Claiming MUST be atomic per message: two concurrent
    /// claims, from any instance, never both return one message (on
    /// PostgreSQL `FOR UPDATE SKIP LOCKED`; a store with one writer
    /// serialises them).
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, RepositoryError>;

    /// Delivered: the message becomes sent at `now`, and its subject and
    /// parts are erased (the token in a link does not outlive delivery in
    /// the store). Recipient and times stay, for the operator.
    async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Not delivered: the message stays pending, due again at `at`;
    /// `error` (no secrets in it, see [`crate::ports::MailError`]) is kept
    /// as its last error.
    async fn retry_at(
        &self,
        id: OutboxId,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), RepositoryError>;

    /// Given up on: the message becomes failed at `now` with `error`, and
    /// its parts are erased as for [`Outbox::mark_sent`].
    async fn mark_failed(
        &self,
        id: OutboxId,
        now: DateTime<Utc>,
        error: &str,
    ) -> Result<(), RepositoryError>;

    /// Claimed, but not attempted (the worker is stopping): due at `now`
    /// again, with the attempt count it had before the claim.
    async fn release(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// How many messages are pending, sent and failed, and when the oldest
    /// pending one was queued.
    async fn stats(&self) -> Result<OutboxStats, RepositoryError>;
}
