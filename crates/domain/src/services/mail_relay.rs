//! Delivery of the outbox: claim due messages, send each through the
//! [`Mailer`], record the outcome, back off exponentially on failure, and
//! give up after a number of attempts.
//!
//! The worker that drives this (one per instance) claims a batch, delivers
//! its messages one by one, and, when it is told to stop, finishes the
//! message in flight and [releases](MailRelay::release) the rest, so a
//! claimed message is never lost: at worst it waits for its lease to run
//! out (a worker that died) and is sent then.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::mail::{ClaimedMail, OutboxId, mask_address};
use crate::ports::{Clock, MailError, Mailer, Outbox};
use crate::time;

/// Retries, lease and batch size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayPolicy {
    /// Attempts before a message is given up on (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles with every
    /// further failure, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claimed message is the claimer's alone. MUST exceed the
    /// longest a [`Mailer::send`] can take, or a slow send could be claimed
    /// and sent again by another worker.
    pub lease: Duration,
    /// Messages claimed at once.
    pub batch: u32,
}

impl Default for RelayPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(10 * 60),
            batch: 16,
        }
    }
}

impl RelayPolicy {
    /// The wait after failed attempt number `attempt` (1-based).
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first_backoff
            .saturating_mul(1_u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Failed; due again at this time.
    Retry(DateTime<Utc>),
    /// Failed for good: a permanent refusal, or the last attempt.
    Failed,
}

/// One attempt, as the worker logs it: the recipient masked, never the
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: OutboxId,
    pub recipient: String,
    pub attempt: u32,
    pub outcome: Outcome,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Delivers the outbox.
#[derive(Clone)]
pub struct MailRelay {
    outbox: Arc<dyn Outbox>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    policy: RelayPolicy,
}

impl MailRelay {
    pub fn new(
        outbox: Arc<dyn Outbox>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        policy: RelayPolicy,
    ) -> Self {
        Self {
            outbox,
            mailer,
            clock,
            policy,
        }
    }

    #[must_use]
    pub fn policy(&self) -> &RelayPolicy {
        &self.policy
    }

    /// Claims the next batch of due messages (empty when none is due).
    ///
    /// # Errors
    /// What the outbox fails with.
    pub async fn claim(&self) -> Result<Vec<ClaimedMail>, RepositoryError> {
        self.outbox
            .claim(self.clock.now(), self.policy.lease, self.policy.batch)
            .await
    }

    /// Sends one claimed message and records the outcome in the outbox.
    ///
    /// # Errors
    /// When the outcome cannot be recorded. A message that was sent but not
    /// marked is sent again once its lease runs out (at least once).
    pub async fn deliver(&self, mail: ClaimedMail) -> Result<Delivery, RepositoryError> {
        let result = self.mailer.send(&mail.message).await;
        let now = self.clock.now();
        let (outcome, error) = match result {
            Ok(()) => {
                self.outbox.mark_sent(mail.id, now).await?;
                (Outcome::Sent, None)
            }
            Err(error) => {
                let text = error.to_string();
                let last = mail.attempt >= self.policy.max_attempts.max(1);
                if matches!(error, MailError::Permanent(_)) || last {
                    self.outbox.mark_failed(mail.id, now, &text).await?;
                    (Outcome::Failed, Some(text))
                } else {
                    let at = time::add_saturating(now, self.policy.backoff(mail.attempt));
                    self.outbox.retry_at(mail.id, at, &text).await?;
                    (Outcome::Retry(at), Some(text))
                }
            }
        };
        Ok(Delivery {
            id: mail.id,
            recipient: mask_address(mail.message.to.as_str()),
            attempt: mail.attempt,
            outcome,
            error,
        })
    }

    /// What the outbox holds (for the metrics).
    ///
    /// # Errors
    /// What the outbox fails with.
    pub async fn stats(&self) -> Result<crate::mail::OutboxStats, RepositoryError> {
        self.outbox.stats().await
    }

    /// Gives back claimed messages that were not attempted: due now again.
    ///
    /// # Errors
    /// What the outbox fails with; the messages not released then wait for
    /// their lease.
    pub async fn release(&self, mails: &[ClaimedMail]) -> Result<(), RepositoryError> {
        let now = self.clock.now();
        for mail in mails {
            self.outbox.release(mail.id, now).await?;
        }
        Ok(())
    }
}
