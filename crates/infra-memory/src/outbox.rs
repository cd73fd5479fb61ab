//! [`Outbox`] in memory: the `outbox` table. A claim picks and leases its
//! messages under the store's one lock, so two claims never return one
//! message.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::Outbox;
use domain::time::{add_saturating, truncate};
use domain::{ClaimedMail, MailMessage, OutboxId, OutboxStats, RepositoryError};

use crate::MemoryStore;
use crate::state::{OutboxRow, OutboxStatus, State, storable};

/// How much of a delivery error is kept (as infra-sea).
const LAST_ERROR_CHARS: usize = 2000;

pub(crate) struct MemoryOutbox(pub(crate) MemoryStore);

/// The pending row `id`, if any: every transition after a claim applies to
/// a pending message only (as infra-sea's `WHERE status = 'pending'`).
fn pending(state: &mut State, id: OutboxId) -> Option<&mut OutboxRow> {
    state
        .outbox
        .get_mut(&id.0)
        .filter(|row| row.status == OutboxStatus::Pending)
}

/// Finished as `status`: the subject and the parts are erased.
fn finish(row: &mut OutboxRow, status: OutboxStatus, error: Option<&str>) {
    row.status = status;
    row.message.subject.clear();
    row.message.text.clear();
    row.message.html.clear();
    if let Some(error) = error {
        row.last_error = Some(storable(error, LAST_ERROR_CHARS));
    }
}

#[async_trait]
impl Outbox for MemoryOutbox {
    async fn enqueue(
        &self,
        message: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<OutboxId, RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            State::check_mail(&message)?;
            state.queue(message, now).map(OutboxId)
        })
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, RepositoryError> {
        let now = truncate(now);
        let lease_end = truncate(add_saturating(now, lease));
        self.0.with_state(|state| {
            // ORDER BY next_attempt_at, id LIMIT limit.
            let mut due: Vec<(DateTime<Utc>, i64)> = state
                .outbox
                .iter()
                .filter(|(_, row)| {
                    row.status == OutboxStatus::Pending && row.next_attempt_at <= now
                })
                .map(|(id, row)| (row.next_attempt_at, *id))
                .collect();
            due.sort_unstable();
            due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let mut claimed = Vec::with_capacity(due.len());
            for (_, id) in due {
                if let Some(row) = state.outbox.get_mut(&id) {
                    row.attempts = row.attempts.saturating_add(1);
                    row.next_attempt_at = lease_end;
                    claimed.push(ClaimedMail {
                        id: OutboxId(id),
                        message: row.message.clone(),
                        attempt: row.attempts,
                        queued_at: row.created_at,
                    });
                }
            }
            // Oldest first, as infra-sea returns them.
            claimed.sort_by_key(|mail| (mail.queued_at, mail.id));
            Ok(claimed)
        })
    }

    async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            if let Some(row) = pending(state, id) {
                finish(row, OutboxStatus::Sent(now), None);
            }
            Ok(())
        })
    }

    async fn retry_at(
        &self,
        id: OutboxId,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), RepositoryError> {
        let at = truncate(at);
        self.0.with_state(|state| {
            if let Some(row) = pending(state, id) {
                row.next_attempt_at = at;
                row.last_error = Some(storable(error, LAST_ERROR_CHARS));
            }
            Ok(())
        })
    }

    async fn mark_failed(
        &self,
        id: OutboxId,
        now: DateTime<Utc>,
        error: &str,
    ) -> Result<(), RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            if let Some(row) = pending(state, id) {
                finish(row, OutboxStatus::Failed(now), Some(error));
            }
            Ok(())
        })
    }

    async fn release(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            if let Some(row) = pending(state, id).filter(|row| row.attempts > 0) {
                row.attempts -= 1;
                row.next_attempt_at = now;
            }
            Ok(())
        })
    }

    async fn stats(&self) -> Result<OutboxStats, RepositoryError> {
        self.0.with_state(|state| {
            let mut stats = OutboxStats::default();
            for row in state.outbox.values() {
                match row.status {
                    OutboxStatus::Pending => {
                        stats.pending += 1;
                        stats.oldest_pending = Some(
                            stats
                                .oldest_pending
                                .map_or(row.created_at, |t| t.min(row.created_at)),
                        );
                    }
                    OutboxStatus::Sent(_) => stats.sent += 1,
                    OutboxStatus::Failed(_) => stats.failed += 1,
                }
            }
            Ok(stats)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use domain::time::SystemClock;
    use domain::{Email, MailMessage};

    use super::*;

    #[tokio::test]
    async fn sent_and_failed_messages_lose_their_subject_and_parts_but_not_the_rest() {
        let store = MemoryStore::new(Arc::new(SystemClock));
        let outbox = store.repositories().outbox;
        let now = SystemClock::now();
        let message = MailMessage {
            to: Email::parse("alice@example.com").unwrap(),
            subject: "Reset".to_owned(),
            text: "token=secret".to_owned(),
            html: "token=secret".to_owned(),
        };
        let sent = outbox.enqueue(message.clone(), now).await.unwrap();
        let failed = outbox.enqueue(message.clone(), now).await.unwrap();
        let pending = outbox.enqueue(message.clone(), now).await.unwrap();
        outbox
            .claim(now, Duration::from_secs(60), 10)
            .await
            .unwrap();

        outbox.mark_sent(sent, now).await.unwrap();
        outbox.mark_failed(failed, now, "550\0 no").await.unwrap();

        let state = store.lock();
        for id in [sent, failed] {
            let row = &state.outbox[&id.0];
            assert_eq!(row.message.subject, "");
            assert_eq!(row.message.text, "");
            assert_eq!(row.message.html, "");
            assert_eq!(row.message.to, message.to, "the recipient stays");
            assert_eq!(row.created_at, truncate(now));
        }
        assert_eq!(
            state.outbox[&sent.0].status,
            OutboxStatus::Sent(truncate(now))
        );
        assert_eq!(
            state.outbox[&failed.0].last_error.as_deref(),
            Some("550 no"),
            "kept without NUL"
        );
        assert_eq!(state.outbox[&pending.0].message, message);
    }
}
