//! [`domain::ports::LoginAttempts`]: events counted per key in a window,
//! newest first and at most `limit`, account names without regard to case,
//! and `clear`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{LoginAttempts, Repositories, ThrottleKey};

use crate::support::{BASE, at};

fn account(name: &str) -> ThrottleKey {
    ThrottleKey::Account(name.to_owned())
}

fn minutes_before(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    t - TimeDelta::minutes(minutes)
}

/// Every event of `key` in the last two days.
async fn all_recent(repo: &dyn LoginAttempts, key: &ThrottleKey, now: DateTime<Utc>) -> usize {
    repo.recent(key, now - TimeDelta::days(2), 1000)
        .await
        .unwrap()
        .len()
}

pub async fn recent_is_newest_first_and_at_most_limit_long(ports: Repositories) {
    let repo = &ports.attempts;
    let now = at(TimeDelta::microseconds(654_321));
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

pub async fn recent_counts_only_events_since_the_window_start(ports: Repositories) {
    let repo = &ports.attempts;
    let now = at(TimeDelta::hours(1));
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
    assert_eq!(
        repo.recent(
            &key,
            minutes_before(now, 15) + TimeDelta::microseconds(1),
            10
        )
        .await
        .unwrap(),
        [minutes_before(now, 10)]
    );
    assert!(repo.recent(&key, now, 10).await.unwrap().is_empty());
}

pub async fn keys_are_counted_apart_and_account_names_ignore_case(ports: Repositories) {
    let repo = &*ports.attempts;
    let now = BASE;
    let ip = "203.0.113.9".to_owned();
    repo.record(&[account("Alice"), ThrottleKey::LoginIp(ip.clone())], now)
        .await
        .unwrap();
    repo.record(&[account("alice")], now).await.unwrap();
    repo.record(&[ThrottleKey::RegisterIp(ip.clone())], now)
        .await
        .unwrap();

    assert_eq!(all_recent(repo, &account("ALICE"), now).await, 2);
    assert_eq!(
        all_recent(repo, &ThrottleKey::LoginIp(ip.clone()), now).await,
        1
    );
    assert_eq!(
        all_recent(repo, &ThrottleKey::RegisterIp(ip.clone()), now).await,
        1
    );
    assert_eq!(all_recent(repo, &account("bob"), now).await, 0);
    // An account named like an address is not that address.
    assert_eq!(all_recent(repo, &account(&ip), now).await, 0);
}

pub async fn clear_forgets_only_that_key(ports: Repositories) {
    let repo = &*ports.attempts;
    let now = BASE;
    let ip = ThrottleKey::LoginIp("198.51.100.7".to_owned());
    repo.record(&[account("alice"), ip.clone()], now)
        .await
        .unwrap();
    repo.record(&[account("bob")], now).await.unwrap();

    repo.clear(&account("ALICE")).await.unwrap();

    assert_eq!(all_recent(repo, &account("alice"), now).await, 0);
    assert_eq!(all_recent(repo, &ip, now).await, 1);
    assert_eq!(all_recent(repo, &account("bob"), now).await, 1);
    // Clearing a key with no events is fine.
    repo.clear(&account("nobody")).await.unwrap();
    // A cleared key counts again from nothing.
    repo.record(&[account("alice")], now).await.unwrap();
    assert_eq!(all_recent(repo, &account("alice"), now).await, 1);
}

pub async fn recording_no_keys_does_nothing(ports: Repositories) {
    let repo = &*ports.attempts;

    repo.record(&[], BASE).await.unwrap();

    assert_eq!(all_recent(repo, &account("alice"), BASE).await, 0);
}

pub async fn an_overlong_key_is_still_counted_and_cleared(ports: Repositories) {
    let repo = &*ports.attempts;
    let now = BASE;
    // Lower-casing 'İ' doubles its length: 320 characters become 640.
    let key = account(&"İ".repeat(320));

    repo.record(std::slice::from_ref(&key), now).await.unwrap();
    repo.record(std::slice::from_ref(&key), now).await.unwrap();

    assert_eq!(all_recent(repo, &key, now).await, 2);
    repo.clear(&key).await.unwrap();
    assert_eq!(all_recent(repo, &key, now).await, 0);
}

pub async fn unicode_account_names_are_counted(ports: Repositories) {
    let repo = &*ports.attempts;
    let now = BASE;
    let key = account("Zoë👩‍💻'; DROP TABLE login_attempts; --");

    repo.record(std::slice::from_ref(&key), now).await.unwrap();

    assert_eq!(all_recent(repo, &key, now).await, 1);
    assert_eq!(
        all_recent(repo, &account("ZOË👩‍💻'; drop table login_attempts; --"), now).await,
        1,
        "account names are lower-cased (ThrottleKey::storage_key)"
    );
}

pub async fn concurrent_records_of_one_key_all_count(ports: Repositories) {
    let now = at(TimeDelta::minutes(1));
    let key = account("target");
    let ip_of = |i: usize| ThrottleKey::LoginIp(format!("192.0.2.{i}"));
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = Arc::clone(&ports.attempts);
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

    let repo = &*ports.attempts;
    assert_eq!(all_recent(repo, &key, now).await, 20);
    for i in 0..20 {
        assert_eq!(all_recent(repo, &ip_of(i), now).await, 1);
    }
}
