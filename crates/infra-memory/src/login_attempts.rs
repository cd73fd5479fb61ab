//! [`LoginAttempts`] in memory: counted events per throttle key. Each
//! `record` also forgets the recorded keys' events older than the
//! retention, as `infra-sea`'s `SeaLoginAttempts` deletes them, so a key's
//! events are bounded by the traffic of one retention period; a key whose
//! last event goes takes no memory at all.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::RepositoryError;
use domain::ports::{LoginAttempts, ThrottleKey};
use domain::time::truncate;

use crate::MemoryStore;
use crate::state::storable;

/// The width of `login_attempts.key`: longer keys are cut (pooling their
/// counts), as `infra-sea` cuts them.
const KEY_CHARS: usize = 512;

pub(crate) struct MemoryLoginAttempts(pub(crate) MemoryStore);

fn storage_key(key: &ThrottleKey) -> String {
    storable(&key.storage_key(), KEY_CHARS)
}

#[async_trait]
impl LoginAttempts for MemoryLoginAttempts {
    async fn record(&self, keys: &[ThrottleKey], at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let at = truncate(at);
        let keys: Vec<String> = keys.iter().map(storage_key).collect();
        self.0.with_state(|state| {
            if keys.is_empty() {
                return Ok(());
            }
            for key in &keys {
                let events = state.attempts.entry(key.clone()).or_default();
                // Kept ascending; a later event with an equal time goes after.
                let position = events.partition_point(|t| *t <= at);
                events.insert(position, at);
            }
            if let Some(cutoff) = at.checked_sub_signed(state.retention) {
                // Only the recorded keys, older than the cutoff (an event
                // exactly one retention old stays), as the SQL deletes them.
                for key in &keys {
                    if let Some(events) = state.attempts.get_mut(key) {
                        let expired = events.partition_point(|t| *t < cutoff);
                        events.drain(..expired);
                        if events.is_empty() {
                            state.attempts.remove(key);
                        }
                    }
                }
            }
            Ok(())
        })
    }

    async fn recent(
        &self,
        key: &ThrottleKey,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        let since = truncate(since);
        let key = storage_key(key);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.0.with_state(|state| {
            Ok(state
                .attempts
                .get(&key)
                .map(|events| {
                    events
                        .iter()
                        .rev()
                        .take_while(|t| **t >= since)
                        .take(limit)
                        .copied()
                        .collect()
                })
                .unwrap_or_default())
        })
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), RepositoryError> {
        let key = storage_key(key);
        self.0.with_state(|state| {
            state.attempts.remove(&key);
            Ok(())
        })
    }
}
