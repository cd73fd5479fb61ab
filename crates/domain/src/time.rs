//! Timestamps as the store keeps them: UTC with microsecond precision.

use chrono::{DateTime, TimeDelta, Utc};

/// The current time, truncated to microseconds so that what is written is
/// exactly what is read back from PostgreSQL or SQLite.
#[must_use]
pub fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// The `updated_at` for a change to a row last changed at `previous`: now, but
/// always strictly later than `previous`, even when the clock has not moved a
/// microsecond or has stepped back.
#[must_use]
pub fn after(previous: DateTime<Utc>) -> DateTime<Utc> {
    let now = now();
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

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_is_strictly_later_even_for_a_future_previous() {
        let future = now() + TimeDelta::hours(1);
        assert!(after(future) > future);
        let past = now() - TimeDelta::hours(1);
        assert!(after(past) > past);
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
