//! The sliding-window check every throttle goes through, at a fixed instant.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use mockall::predicate::eq;

use super::{long_ago, unavailable};
use crate::ports::{MockLoginAttempts, ThrottleKey};
use crate::services::RetryAfter;
use crate::services::throttle::blocked;

const WINDOW: Duration = Duration::from_secs(15 * 60);

fn now() -> DateTime<Utc> {
    long_ago()
}

fn key() -> ThrottleKey {
    ThrottleKey::Account("alice".to_owned())
}

/// A store asked once for `key`'s events since `now - WINDOW`, at most
/// `limit`, answering `recent` (newest first).
fn answering(limit: u32, recent: Vec<DateTime<Utc>>) -> MockLoginAttempts {
    let mut attempts = MockLoginAttempts::new();
    attempts
        .expect_recent()
        .with(eq(key()), eq(now() - TimeDelta::minutes(15)), eq(limit))
        .times(1)
        .returning(move |_, _, _| Ok(recent.clone()));
    attempts.expect_record().never();
    attempts.expect_clear().never();
    attempts
}

fn ago(seconds: i64) -> DateTime<Utc> {
    now() - TimeDelta::seconds(seconds)
}

#[tokio::test]
async fn under_the_limit_is_not_blocked() {
    let attempts = answering(5, vec![ago(10), ago(20), ago(30), ago(40)]);

    let wait = blocked(&attempts, &key(), 5, WINDOW, now()).await.unwrap();

    assert_eq!(wait, None);
}

#[tokio::test]
async fn an_event_exactly_one_window_old_has_left_it() {
    // The client waited the whole Retry-After it was given: admitted.
    let attempts = answering(3, vec![ago(10), ago(20), ago(15 * 60)]);

    let wait = blocked(&attempts, &key(), 3, WINDOW, now()).await.unwrap();

    assert_eq!(wait, None);
}

#[tokio::test]
async fn no_events_at_all_is_not_blocked() {
    let attempts = answering(5, Vec::new());

    let wait = blocked(&attempts, &key(), 5, WINDOW, now()).await.unwrap();

    assert_eq!(wait, None);
}

#[tokio::test]
async fn at_the_limit_waits_until_the_oldest_event_leaves_the_window() {
    // Newest first; the oldest is ten minutes old, so five remain.
    let attempts = answering(5, vec![ago(10), ago(60), ago(120), ago(300), ago(600)]);

    let wait = blocked(&attempts, &key(), 5, WINDOW, now()).await.unwrap();

    assert_eq!(wait, Some(RetryAfter(Duration::from_secs(5 * 60))));
}

#[tokio::test]
async fn the_wait_keeps_sub_second_precision_and_rounds_up_for_the_header() {
    // The oldest is 9 min 59.75 s old: 5 min 0.25 s to wait, 301 s announced.
    let oldest = now() - TimeDelta::seconds(599) - TimeDelta::milliseconds(750);
    let attempts = answering(2, vec![ago(1), oldest]);

    let wait = blocked(&attempts, &key(), 2, WINDOW, now())
        .await
        .unwrap()
        .unwrap();

    assert_eq!(wait.0, Duration::from_millis(300_250));
    assert_eq!(wait.seconds(), 301);
}

#[tokio::test]
async fn a_limit_of_zero_never_asks_the_store() {
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_recent().never();

    let wait = blocked(&attempts, &key(), 0, WINDOW, now()).await.unwrap();

    assert_eq!(wait, None);
}

#[tokio::test]
async fn a_store_failure_is_passed_on() {
    let mut attempts = MockLoginAttempts::new();
    attempts
        .expect_recent()
        .times(1)
        .returning(|_, _, _| Err(unavailable()));

    let result = blocked(&attempts, &key(), 5, WINDOW, now()).await;

    assert!(result.is_err(), "{result:?}");
}

#[tokio::test]
async fn an_enormous_window_is_not_a_panic() {
    // 10^13 s fits a TimeDelta but not a date 317,000 years back; a window
    // too large even for a TimeDelta falls back to TimeDelta::MAX and panics
    // the same way.
    for window in [Duration::from_secs(10_000_000_000_000), Duration::MAX] {
        let mut attempts = MockLoginAttempts::new();
        attempts.expect_recent().returning(|_, _, _| Ok(Vec::new()));

        let result = blocked(&attempts, &key(), 5, window, now()).await;

        assert!(result.is_ok(), "{result:?}");
    }
}
