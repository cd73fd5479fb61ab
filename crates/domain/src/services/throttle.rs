//! Throttling policy: limits on failed logins per account and per client
//! address, and on registrations per address, counted in a sliding window in
//! the shared store so that every instance sees the same counts.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::ports::{LoginAttempts, ThrottleKey};

/// The limits. A limit of 0 turns that check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures_per_account: u32,
    pub max_failures_per_ip: u32,
    pub failure_window: Duration,
    pub max_registrations_per_ip: u32,
    pub registration_window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures_per_account: 5,
            max_failures_per_ip: 20,
            failure_window: Duration::from_secs(15 * 60),
            max_registrations_per_ip: 10,
            registration_window: Duration::from_secs(60 * 60),
        }
    }
}

/// How long a throttled client must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, at least 1 (for the `Retry-After` header).
    #[must_use]
    pub fn seconds(self) -> u64 {
        let secs = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// `Some(wait)` when `key` already has `limit` events inside `window`: the
/// wait lasts until the oldest of those leaves the window. An event exactly
/// `window` old has left it, so a client that waits the `Retry-After` it
/// was given is admitted.
///
/// # Errors
/// What the store fails with.
pub(crate) async fn blocked(
    attempts: &dyn LoginAttempts,
    key: &ThrottleKey,
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, RepositoryError> {
    if limit == 0 {
        return Ok(None);
    }
    let since = crate::time::sub_saturating(now, window);
    let mut recent = attempts.recent(key, since, limit).await?;
    recent.retain(|at| *at > since);
    if recent.len() < limit as usize {
        return Ok(None);
    }
    let Some(oldest) = recent.last() else {
        return Ok(None);
    };
    let until = crate::time::add_saturating(*oldest, window);
    let wait = (until - now).to_std().unwrap_or(Duration::ZERO);
    Ok(Some(RetryAfter(wait)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_at_least_a_second() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1500)).seconds(), 2);
        assert_eq!(RetryAfter(Duration::from_secs(900)).seconds(), 900);
        assert_eq!(RetryAfter(Duration::ZERO).seconds(), 1);
    }
}
