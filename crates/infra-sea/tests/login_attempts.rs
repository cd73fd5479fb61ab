//! `SeaLoginAttempts`'s own machinery: pruning past the retention, the
//! stored keys. What the port promises is tested by the port contract
//! (`contract.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{LoginAttempts, ThrottleKey};
use infra_sea::entity::login_attempt;
use sea_orm::{EntityTrait, PaginatorTrait};
use support::{BASE, attempts, database};

fn account(name: &str) -> ThrottleKey {
    ThrottleKey::Account(name.to_owned())
}

/// Every event of `key` in the last two days.
async fn all_recent(repo: &impl LoginAttempts, key: &ThrottleKey, now: DateTime<Utc>) -> usize {
    repo.recent(key, now - TimeDelta::days(2), 1000)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn record_prunes_the_recorded_keys_events_older_than_24_hours() {
    let db = database().await;
    let repo = attempts(&db);
    let now = BASE;
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

    repo.record(&[], BASE).await.unwrap();

    assert_eq!(
        login_attempt::Entity::find()
            .count(db.connection())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_overlong_key_is_stored_cut_to_the_column_width() {
    let db = database().await;
    let repo = attempts(&db);
    let now = BASE;
    // Lower-casing 'İ' doubles its length: 320 characters become 640.
    let key = account(&"İ".repeat(320));

    repo.record(std::slice::from_ref(&key), now).await.unwrap();
    repo.record(std::slice::from_ref(&key), now).await.unwrap();

    let rows = login_attempt::Entity::find()
        .all(db.connection())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| row.key.chars().count() == 512));
}

#[tokio::test]
async fn a_key_is_stored_as_its_storage_key() {
    let db = database().await;
    let repo = attempts(&db);
    let key = account("Zoë👩‍💻'; DROP TABLE login_attempts; --");

    repo.record(std::slice::from_ref(&key), BASE).await.unwrap();

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
    let now = BASE;
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
