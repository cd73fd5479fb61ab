//! Timestamps as the store keeps them: UTC with microsecond precision; the
//! two [`Clock`]s: [`SystemClock`] and, for tests, [`ManualClock`].

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

use crate::ports::Clock;

/// The system's clock, truncated to microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The system's time now, for code outside the use cases (adapters,
    /// their tests, the command line); a use case reads the clock it was
    /// given instead.
    #[must_use]
    pub fn now() -> DateTime<Utc> {
        truncate(Utc::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Self::now()
    }
}

/// A clock that stands still until it is set or advanced: time-dependent
/// rules are tested by moving it, not by sleeping.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock showing `at` (truncated to microseconds).
    #[must_use]
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(truncate(at)),
        }
    }

    /// A clock showing the system's time now, standing still from then on.
    #[must_use]
    pub fn starting_now() -> Self {
        Self::at(Utc::now())
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = truncate(at);
    }

    /// Moves the clock forward by `by` (saturating).
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.lock();
        *now = truncate(add_saturating(*now, by));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A plain value: a panic while it was held cannot have torn it.
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// The `updated_at` for a change, at `now`, to a row last changed at
/// `previous`: `now`, but always strictly later than `previous`, even when
/// the clock has not moved a microsecond or has stepped back.
#[must_use]
pub fn after(now: DateTime<Utc>, previous: DateTime<Utc>) -> DateTime<Utc> {
    let floor = previous + TimeDelta::microseconds(1);
    if now > previous { now } else { floor }
}

/// `t + d`, or the latest representable time when that overflows (a
/// misconfigured, absurdly long lifetime must not panic).
#[must_use]
pub fn add_saturating(t: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, or the earliest representable time when that overflows.
#[must_use]
pub fn sub_saturating(t: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `t` with microsecond precision, as PostgreSQL and SQLite keep it.
#[must_use]
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        SystemClock.now()
    }

    #[test]
    fn after_is_strictly_later_even_for_a_future_previous() {
        let now = now();
        let future = now + TimeDelta::hours(1);
        assert_eq!(after(now, future), future + TimeDelta::microseconds(1));
        assert_eq!(after(now, now), now + TimeDelta::microseconds(1));
        let past = now - TimeDelta::hours(1);
        assert_eq!(after(now, past), now);
    }

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let start = now();
        let clock = ManualClock::at(start);
        assert_eq!(clock.now(), start);
        clock.advance(std::time::Duration::from_secs(90));
        assert_eq!(clock.now(), start + TimeDelta::seconds(90));
        let nanos = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap_or_default();
        clock.set(nanos);
        assert_eq!(clock.now().timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn saturating_arithmetic_never_panics() {
        let huge = std::time::Duration::from_secs(u64::MAX);
        assert_eq!(add_saturating(now(), huge), DateTime::<Utc>::MAX_UTC);
        assert_eq!(sub_saturating(now(), huge), DateTime::<Utc>::MIN_UTC);
        let t = now();
        assert_eq!(
            add_saturating(t, std::time::Duration::from_secs(60)),
            t + TimeDelta::seconds(60)
        );
    }

    #[test]
    fn now_has_microsecond_precision() {
        assert_eq!(now().timestamp_subsec_nanos() % 1_000, 0);
    }
}
