//! Registration: hashing, conflicts, and the per-address rate limit.

use std::time::Duration;

use chrono::TimeDelta;

use super::super::{IP, PASSWORD, client, registration, stored, unavailable, unexpected};
use super::{HASH, Ports, assert_waits_until_the_oldest_leaves, events, hashing_once, idle_hasher};
use crate::error::{ConflictField, RepositoryError};
use crate::ports::{HashError, MockLoginAttempts, ThrottleKey};
use crate::services::RegisterError;
use crate::services::tests::fixed_now;
use crate::session::ClientInfo;
use crate::user::{User, UserId};

/// A client that sent no address the server could trust.
fn anonymous() -> ClientInfo {
    ClientInfo::new(Some("test-agent/1.0"), None)
}

/// A throttle store that must never be consulted.
fn no_throttle() -> MockLoginAttempts {
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_recent().never();
    attempts.expect_record().never();
    attempts.expect_clear().never();
    attempts
}

#[tokio::test]
async fn register_hashes_the_password_and_stores_an_active_non_admin() {
    let mut ports = Ports::new();
    ports.hasher = hashing_once();
    ports.attempts = no_throttle();
    ports
        .users
        .expect_create()
        .withf(move |new| {
            new.email.as_str() == "alice@example.com"
                && new.username.as_str() == "alice"
                && new.full_name.as_str() == "Alice Liddell"
                && new.password_hash.as_str() == HASH
                && new.password_hash.as_str() != PASSWORD
                && new.is_active
                && !new.is_admin
                && new.created_at == fixed_now()
        })
        .times(1)
        .returning(|new| Ok(stored(1, new)));

    let user = ports
        .service()
        .register(registration(), &anonymous())
        .await
        .unwrap();

    assert_eq!(user.id, UserId(1));
    assert!(user.is_active);
    assert!(!user.is_admin);
    assert_eq!(user.password_hash.as_str(), HASH);
}

#[tokio::test]
async fn registration_mails_the_new_user_a_verification_link() {
    let mut ports = Ports::new();
    ports.hasher = hashing_once();
    ports.attempts = no_throttle();
    ports
        .users
        .expect_create()
        .returning(|new| Ok(stored(1, new)));
    let mut tokens = crate::ports::MockAccountTokenRepository::new();
    tokens
        .expect_issue()
        .withf(|token, mail| {
            token.kind == crate::account::AccountTokenKind::EmailVerification
                && token.user_id == UserId(1)
                && token.email.as_str() == "alice@example.com"
                && mail.to.as_str() == "alice@example.com"
                && mail.subject == "verify"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    ports.mail.tokens = std::sync::Arc::new(tokens);

    ports
        .service()
        .register(registration(), &anonymous())
        .await
        .unwrap();
}

async fn register_against_a_store_failing_with(
    error: fn() -> RepositoryError,
) -> Result<User, RegisterError> {
    let mut ports = Ports::new();
    ports.hasher = hashing_once();
    ports.attempts = no_throttle();
    ports
        .users
        .expect_create()
        .times(1)
        .returning(move |_| Err(error()));
    ports.service().register(registration(), &anonymous()).await
}

#[tokio::test]
async fn register_with_a_taken_email_is_conflict_on_email() {
    let result =
        register_against_a_store_failing_with(|| RepositoryError::Conflict(ConflictField::Email))
            .await;
    assert!(
        matches!(result, Err(RegisterError::Conflict(ConflictField::Email))),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_with_a_taken_username_is_conflict_on_username() {
    let result = register_against_a_store_failing_with(|| {
        RepositoryError::Conflict(ConflictField::Username)
    })
    .await;
    assert!(
        matches!(
            result,
            Err(RegisterError::Conflict(ConflictField::Username))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_when_the_store_is_unavailable_is_unavailable() {
    let result = register_against_a_store_failing_with(unavailable).await;
    assert!(
        matches!(result, Err(RegisterError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_when_the_store_fails_otherwise_is_unexpected() {
    let result = register_against_a_store_failing_with(unexpected).await;
    assert!(
        matches!(result, Err(RegisterError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_when_hashing_fails_is_unexpected_and_stores_nothing() {
    let mut ports = Ports::new();
    ports.attempts = no_throttle();
    ports.users.expect_create().never();
    ports
        .hasher
        .expect_hash()
        .times(1)
        .returning(|_| Err(HashError(anyhow::anyhow!("thread pool gone"))));

    let result = ports.service().register(registration(), &anonymous()).await;

    assert!(
        matches!(result, Err(RegisterError::Unexpected(_))),
        "{result:?}"
    );
}

// --- rate limit per address -------------------------------------------------

#[tokio::test]
async fn register_without_a_client_address_never_consults_the_throttle() {
    // Covered by every test above too; this one names the rule.
    let mut ports = Ports::new();
    ports.hasher = hashing_once();
    ports.attempts = no_throttle();
    ports
        .users
        .expect_create()
        .times(1)
        .returning(|new| Ok(stored(1, new)));

    let result = ports.service().register(registration(), &anonymous()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn register_over_the_per_address_limit_is_throttled_and_creates_nothing() {
    let before = fixed_now();
    let mut ports = Ports::new();
    ports.policy.throttle.max_registrations_per_ip = 3;
    ports.policy.throttle.registration_window = Duration::from_secs(3600);
    let window = TimeDelta::hours(1);
    // Three registrations, the oldest 40 minutes before the attempt.
    let oldest = before - TimeDelta::minutes(40);
    let recent = events(3, oldest);
    ports
        .attempts
        .expect_recent()
        .withf(move |key, since, limit| {
            *key == ThrottleKey::RegisterIp(IP.to_owned())
                && *limit == 3
                && *since == fixed_now() - window
        })
        .times(1)
        .returning(move |_, _, _| Ok(recent.clone()));
    ports.attempts.expect_record().never();
    ports.hasher = idle_hasher();
    ports.users.expect_create().never();

    let result = ports.service().register(registration(), &client()).await;

    let Err(RegisterError::Throttled(wait)) = result else {
        panic!("expected Throttled, got {result:?}");
    };
    assert_waits_until_the_oldest_leaves(wait, oldest, window);
    assert_eq!(wait.seconds(), 20 * 60);
}

#[tokio::test]
async fn register_under_the_per_address_limit_records_a_registration_event_and_creates() {
    let before = fixed_now();
    let mut ports = Ports::new();
    ports.policy.throttle.max_registrations_per_ip = 3;
    ports
        .attempts
        .expect_recent()
        .withf(|key, _, limit| *key == ThrottleKey::RegisterIp(IP.to_owned()) && *limit == 3)
        .times(1)
        .returning(move |_, _, _| Ok(events(2, before - TimeDelta::minutes(5))));
    ports
        .attempts
        .expect_record()
        .withf(move |keys, at| {
            keys == [ThrottleKey::RegisterIp(IP.to_owned())] && *at == fixed_now()
        })
        .times(1)
        .returning(|_, _| Ok(()));
    ports.hasher = hashing_once();
    ports
        .users
        .expect_create()
        .times(1)
        .returning(|new| Ok(stored(1, new)));

    let user = ports
        .service()
        .register(registration(), &client())
        .await
        .unwrap();

    assert_eq!(user.id, UserId(1));
}

#[tokio::test]
async fn register_with_a_per_address_limit_of_zero_never_consults_the_throttle() {
    let mut ports = Ports::new();
    ports.policy.throttle.max_registrations_per_ip = 0;
    ports.attempts = no_throttle();
    ports.hasher = hashing_once();
    ports
        .users
        .expect_create()
        .times(1)
        .returning(|new| Ok(stored(1, new)));

    let result = ports.service().register(registration(), &client()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn register_when_the_throttle_store_is_unavailable_is_unavailable_and_creates_nothing() {
    let mut ports = Ports::new();
    ports
        .attempts
        .expect_recent()
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    ports.attempts.expect_record().never();
    ports.hasher = idle_hasher();
    ports.users.expect_create().never();

    let result = ports.service().register(registration(), &client()).await;

    assert!(
        matches!(result, Err(RegisterError::Unavailable(_))),
        "{result:?}"
    );
}
