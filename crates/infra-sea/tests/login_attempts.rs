//! `SeaLoginAttempts` against a real database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{LoginAttempts, ThrottleKey};
use infra_sea::entity::login_attempt;
use sea_orm::{EntityTrait, PaginatorTrait};
use support::{attempts, database};

fn account(name: &str) -> ThrottleKey {
    ThrottleKey::Account(name.to_owned())
}

fn minutes_before(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    t - TimeDelta::minutes(minutes)
}

/// Every event of `key` in the last two days.
async fn all_recent(repo: &impl LoginAttempts, key: &ThrottleKey, now: DateTime<Utc>) -> usize {
    repo.recent(key, now - TimeDelta::days(2), 1000)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn recent_is_newest_first_and_at_most_limit_long() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let key = account("alice");
    for minutes in [5, 1, 3, 2, 4] {
        repo.record(std::slice::from_ref(&key), minutes_before(now, minutes))
            .await
            .unwrap();
    }

    let all = repo
        .recent(&key, minutes_before(now, 60), 10)
        .await
        .unwrap();
    let three = repo.recent(&key, minutes_before(now, 60), 3).await.unwrap();

    let expected: Vec<_> = (1..=5).map(|m| minutes_before(now, m)).collect();
    assert_eq!(all, expected);
    assert_eq!(three, expected[..3]);
    assert!(
        repo.recent(&key, minutes_before(now, 60), 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn recent_counts_only_events_since_the_window_start() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let key = ThrottleKey::LoginIp("203.0.113.9".to_owned());
    for minutes in [20, 15, 10] {
        repo.record(std::slice::from_ref(&key), minutes_before(now, minutes))
            .await
            .unwrap();
    }

    let recent = repo
        .recent(&key, minutes_before(now, 15), 10)
        .await
        .unwrap();

    // The window's start is inside it.
    assert_eq!(recent, [minutes_before(now, 10), minutes_before(now, 15)]);
    assert!(repo.recent(&key, now, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn keys_are_counted_apart_and_account_names_ignore_case() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let ip = "203.0.113.9".to_owned();
    repo.record(&[account("Alice"), ThrottleKey::LoginIp(ip.clone())], now)
        .await
        .unwrap();
    repo.record(&[account("alice")], now).await.unwrap();
    repo.record(&[ThrottleKey::RegisterIp(ip.clone())], now)
        .await
        .unwrap();

    assert_eq!(all_recent(&repo, &account("ALICE"), now).await, 2);
    assert_eq!(
        all_recent(&repo, &ThrottleKey::LoginIp(ip.clone()), now).await,
        1
    );
    assert_eq!(
        all_recent(&repo, &ThrottleKey::RegisterIp(ip.clone()), now).await,
        1
    );
    assert_eq!(all_recent(&repo, &account("bob"), now).await, 0);
    // An account named like an address is not that address.
    assert_eq!(all_recent(&repo, &account(&ip), now).await, 0);
}

#[tokio::test]
async fn clear_forgets_only_that_key() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let ip = ThrottleKey::LoginIp("198.51.100.7".to_owned());
    repo.record(&[account("alice"), ip.clone()], now)
        .await
        .unwrap();
    repo.record(&[account("bob")], now).await.unwrap();

    repo.clear(&account("ALICE")).await.unwrap();

    assert_eq!(all_recent(&repo, &account("alice"), now).await, 0);
    assert_eq!(all_recent(&repo, &ip, now).await, 1);
    assert_eq!(all_recent(&repo, &account("bob"), now).await, 1);
    // Clearing a key with no events is fine.
    repo.clear(&account("nobody")).await.unwrap();
}

#[tokio::test]
async fn record_prunes_the_recorded_keys_events_older_than_24_hours() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let alice = account("alice");
    let bob = account("bob");
    let day = TimeDelta::hours(24);
    for at in [
        now - day - TimeDelta::hours(1),
        now - day - TimeDelta::seconds(1),
    ] {
        repo.record(&[alice.clone(), bob.clone()], at)
            .await
            .unwrap();
    }
    repo.record(std::slice::from_ref(&alice), now - day)
        .await
        .unwrap();

    repo.record(std::slice::from_ref(&alice), now)
        .await
        .unwrap();

    // Alice's events older than 24 h are gone; the one exactly 24 h old stays.
    assert_eq!(
        events_in_three_days(&repo, &alice, now).await,
        [now, now - day]
    );
    // Bob's were not recorded now, so they are not touched.
    assert_eq!(all_recent(&repo, &bob, now).await, 2);
    assert_eq!(
        login_attempt::Entity::find()
            .count(db.connection())
            .await
            .unwrap(),
        4
    );
}

async fn events_in_three_days(
    repo: &impl LoginAttempts,
    key: &ThrottleKey,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    repo.recent(key, now - TimeDelta::days(3), 1000)
        .await
        .unwrap()
}

#[tokio::test]
async fn recording_no_keys_does_nothing() {
    let db = database().await;
    let repo = attempts(&db);

    repo.record(&[], domain::time::SystemClock::now())
        .await
        .unwrap();

    assert_eq!(
        login_attempt::Entity::find()
            .count(db.connection())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_overlong_key_is_stored_cut_and_still_counted() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    // Lower-casing 'İ' doubles its length: 320 characters become 640.
    let key = account(&"İ".repeat(320));

    repo.record(std::slice::from_ref(&key), now).await.unwrap();
    repo.record(std::slice::from_ref(&key), now).await.unwrap();

    assert_eq!(all_recent(&repo, &key, now).await, 2);
    let rows = login_attempt::Entity::find()
        .all(db.connection())
        .await
        .unwrap();
    assert!(rows.iter().all(|row| row.key.chars().count() == 512));
    repo.clear(&key).await.unwrap();
    assert_eq!(all_recent(&repo, &key, now).await, 0);
}

#[tokio::test]
async fn unicode_account_names_round_trip() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let key = account("Zoë👩‍💻'; DROP TABLE login_attempts; --");

    repo.record(std::slice::from_ref(&key), now).await.unwrap();

    assert_eq!(all_recent(&repo, &key, now).await, 1);
    let row = login_attempt::Entity::find()
        .one(db.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.key, key.storage_key());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_records_of_one_key_all_count_while_pruning() {
    let db = database().await;
    let repo = attempts(&db);
    let now = domain::time::SystemClock::now();
    let key = account("target");
    let ip_of = |i: usize| ThrottleKey::LoginIp(format!("192.0.2.{i}"));
    // Old events that every recorder below will try to prune.
    for i in 0..20 {
        repo.record(&[key.clone(), ip_of(i)], now - TimeDelta::days(2))
            .await
            .unwrap();
    }
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = repo.clone();
            let start = Arc::clone(&start);
            let keys = [key.clone(), ip_of(i)];
            tokio::spawn(async move {
                start.wait().await;
                repo.record(&keys, now).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    assert_eq!(all_recent(&repo, &key, now).await, 20);
    assert_eq!(
        login_attempt::Entity::find()
            .count(db.connection())
            .await
            .unwrap(),
        40,
        "old events were not all pruned"
    );
}
