//! The caller's sessions: logout, listing, ending one, and the password
//! change that ends every other session.

use std::sync::Arc;

use mockall::predicate::{always, eq};

use super::{
    HASH, accepting_account_mail, authenticated, composer, in_an_hour, one_time_tokens, session,
    unavailable, user,
};
use crate::account::AccountTokenKind;
use crate::mail::OutboxId;
use crate::password::{Password, PasswordHash};
use crate::ports::{MockAccountTokenRepository, MockOutbox};
use crate::ports::{
    MockLoginAttempts, MockPasswordHasher, MockPersonalTokenRepository, MockSessionRepository,
    MockUserRepository, ThrottleKey,
};
use crate::services::tests::{clock, fixed_now};
use crate::services::{AccountMailPorts, PasswordTokenRevocation, SessionPorts};
use crate::services::{Authenticated, SessionError, SessionService, ThrottlePolicy};
use crate::session::SessionId;
use crate::user::{User, UserId};

const CURRENT_PASSWORD: &str = super::PASSWORD;
const NEW_PASSWORD: &str = "a brand new passphrase";
const NEW_HASH: &str = "$2b$12$hash-of-a-brand-new-passphrase";

fn service(
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
) -> SessionService {
    service_with(users, sessions, hasher, not_throttled())
}

fn service_with(
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    attempts: MockLoginAttempts,
) -> SessionService {
    service_with_mail(users, sessions, hasher, attempts, accepting_account_mail())
}

fn service_with_mail(
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    attempts: MockLoginAttempts,
    mail: AccountMailPorts,
) -> SessionService {
    service_with_revocation(
        users,
        sessions,
        hasher,
        attempts,
        mail,
        revoking_tokens(true),
    )
}

fn service_with_revocation(
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    attempts: MockLoginAttempts,
    mail: AccountMailPorts,
    token_revocation: PasswordTokenRevocation,
) -> SessionService {
    SessionService::new(
        SessionPorts {
            users: Arc::new(users),
            sessions: Arc::new(sessions),
            hasher: Arc::new(hasher),
            attempts: Arc::new(attempts),
            mail,
            token_revocation,
            clock: clock(),
        },
        ThrottlePolicy::default(),
    )
}

/// Personal access tokens revoked on a password change when `enabled`
/// (the store accepts the revocation).
fn revoking_tokens(enabled: bool) -> PasswordTokenRevocation {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_revoke_all().returning(|_, _| Ok(0));
    PasswordTokenRevocation {
        tokens: Arc::new(tokens),
        enabled,
    }
}

/// A throttle store with no recent failures that accepts any bookkeeping.
fn not_throttled() -> MockLoginAttempts {
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_recent().returning(|_, _, _| Ok(Vec::new()));
    attempts.expect_record().returning(|_, _| Ok(()));
    attempts.expect_clear().returning(|_| Ok(()));
    attempts
}

/// A user store that must never be written.
fn no_user_write() -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users.expect_set_password().never();
    users.expect_update().never();
    users
}

/// A hasher that must never be asked anything.
fn idle_hasher() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().never();
    hasher.expect_verify().never();
    hasher.expect_verify_dummy().never();
    hasher
}

/// User 2 in session 9, last changed an hour from now (a clock that
/// stepped back), so "after" cannot be satisfied by the clock alone.
fn caller() -> Authenticated {
    Authenticated {
        user: User {
            updated_at: in_an_hour(),
            ..user(2, false, true)
        },
        ..authenticated(2, 9)
    }
}

// --- logout -------------------------------------------------------------------

#[tokio::test]
async fn logout_ends_only_the_current_session() {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke()
        .withf(move |user_id, session_id, now| {
            *user_id == UserId(2) && *session_id == SessionId(9) && *now == fixed_now()
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    sessions.expect_revoke_all().never();

    let result = service(no_user_write(), sessions, idle_hasher())
        .logout(&caller(), false)
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn logout_of_all_sessions_ends_every_session_keeping_none() {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke_all()
        .with(eq(UserId(2)), eq(None), always())
        .times(1)
        .returning(|_, _, _| Ok(3));
    sessions.expect_revoke().never();

    let result = service(no_user_write(), sessions, idle_hasher())
        .logout(&caller(), true)
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn logout_of_a_session_already_ended_elsewhere_is_still_ok() {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke()
        .times(1)
        .returning(|_, _, _| Ok(false));

    let result = service(no_user_write(), sessions, idle_hasher())
        .logout(&caller(), false)
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn logout_when_the_store_is_unavailable_is_unavailable() {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke_all()
        .times(1)
        .returning(|_, _, _| Err(unavailable()));

    let result = service(no_user_write(), sessions, idle_hasher())
        .logout(&caller(), true)
        .await;

    assert!(
        matches!(result, Err(SessionError::Unavailable(_))),
        "{result:?}"
    );
}

// --- list and end ---------------------------------------------------------------

#[tokio::test]
async fn listing_sessions_asks_for_the_callers_live_sessions_only() {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_list_active()
        .withf(move |user_id, now| *user_id == UserId(2) && *now == fixed_now())
        .times(1)
        .returning(|_, _| Ok(vec![session(9, 2), session(4, 2)]));

    let listed = service(no_user_write(), sessions, idle_hasher())
        .list(&caller())
        .await
        .unwrap();

    assert_eq!(
        listed.iter().map(|s| s.id).collect::<Vec<_>>(),
        [SessionId(9), SessionId(4)]
    );
}

#[tokio::test]
async fn ending_one_of_the_callers_sessions_revokes_it_for_the_caller() {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke()
        .with(eq(UserId(2)), eq(SessionId(4)), always())
        .times(1)
        .returning(|_, _, _| Ok(true));
    sessions.expect_revoke_all().never();

    let result = service(no_user_write(), sessions, idle_hasher())
        .end(&caller(), SessionId(4))
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn ending_a_session_that_is_not_the_callers_is_not_found() {
    // Session 5 belongs to someone else: the store, asked on the caller's
    // behalf, finds no such session of theirs.
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke()
        .with(eq(UserId(2)), eq(SessionId(5)), always())
        .times(1)
        .returning(|_, _, _| Ok(false));

    let result = service(no_user_write(), sessions, idle_hasher())
        .end(&caller(), SessionId(5))
        .await;

    assert!(matches!(result, Err(SessionError::NotFound)), "{result:?}");
}

// --- change_password ------------------------------------------------------------

/// A hasher that checks `current` against [`HASH`] once, answering
/// `matches`.
fn verifying_current(current: &'static str, matches: bool) -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify()
        .withf(move |candidate, hash| candidate.expose() == current && hash.as_str() == HASH)
        .times(1)
        .returning(move |_, _| Ok(matches));
    hasher.expect_verify_dummy().never();
    hasher
}

#[tokio::test]
async fn change_password_with_a_wrong_current_password_is_wrong_password_and_writes_nothing() {
    let mut hasher = verifying_current("not my password", false);
    hasher.expect_hash().never();
    let mut sessions = MockSessionRepository::new();
    sessions.expect_revoke_all().never();
    sessions.expect_revoke().never();

    let result = service(no_user_write(), sessions, hasher)
        .change_password(
            &caller(),
            &Password::candidate("not my password"),
            &Password::parse(NEW_PASSWORD).unwrap(),
        )
        .await;

    assert!(
        matches!(result, Err(SessionError::WrongPassword)),
        "{result:?}"
    );
}

#[tokio::test]
async fn change_password_stores_the_new_hash_and_ends_every_other_session() {
    let caller = caller();
    let previous = caller.user.updated_at;
    let mut hasher = verifying_current(CURRENT_PASSWORD, true);
    hasher
        .expect_hash()
        .withf(|password| password.expose() == NEW_PASSWORD)
        .times(1)
        .returning(|_| Ok(PasswordHash::new(NEW_HASH)));
    let mut users = MockUserRepository::new();
    users
        .expect_set_password()
        .withf(move |user_id, hash, updated_at| {
            *user_id == UserId(2) && hash.as_str() == NEW_HASH && *updated_at > previous
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke_all()
        .with(eq(UserId(2)), eq(Some(SessionId(9))), always())
        .times(1)
        .returning(|_, _, _| Ok(2));
    sessions.expect_revoke().never();

    let result = service(users, sessions, hasher)
        .change_password(
            &caller,
            &Password::candidate(CURRENT_PASSWORD),
            &Password::parse(NEW_PASSWORD).unwrap(),
        )
        .await;

    assert!(result.is_ok(), "{result:?}");
}

/// Account-mail ports that expect the notice of exactly `changes` password
/// changes (the reset links revoked, the notice queued), or none.
fn expecting_notices(changes: usize) -> AccountMailPorts {
    let mut tokens = MockAccountTokenRepository::new();
    tokens
        .expect_revoke_all()
        .withf(|user, kind, _| *user == UserId(2) && *kind == AccountTokenKind::PasswordReset)
        .times(changes)
        .returning(|_, _, _| Ok(1));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .withf(|mail, _| mail.subject == "changed" && mail.to.as_str() == "user2@example.com")
        .times(changes)
        .returning(|_, _| Ok(OutboxId(5)));
    AccountMailPorts {
        tokens: Arc::new(tokens),
        one_time_tokens: Arc::new(one_time_tokens()),
        outbox: Arc::new(outbox),
        composer: Arc::new(composer()),
        verification_lifetime: std::time::Duration::from_secs(48 * 3600),
    }
}

#[tokio::test]
async fn a_password_change_kills_the_reset_links_and_queues_the_notice_a_failed_one_neither() {
    for (right, notices) in [(true, 1), (false, 0)] {
        let mut hasher = verifying_current(CURRENT_PASSWORD, right);
        hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new(NEW_HASH)));
        let mut users = MockUserRepository::new();
        users.expect_set_password().returning(|_, _, _| Ok(true));
        let mut sessions = MockSessionRepository::new();
        sessions.expect_revoke_all().returning(|_, _, _| Ok(0));
        let result = service_with_mail(
            users,
            sessions,
            hasher,
            not_throttled(),
            expecting_notices(notices),
        )
        .change_password(
            &caller(),
            &Password::candidate(CURRENT_PASSWORD),
            &Password::parse(NEW_PASSWORD).unwrap(),
        )
        .await;
        assert_eq!(result.is_ok(), right, "{result:?}");
    }
}

#[tokio::test]
async fn change_password_of_a_user_deleted_meanwhile_is_not_found_and_ends_no_session() {
    let mut hasher = verifying_current(CURRENT_PASSWORD, true);
    hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok(PasswordHash::new(NEW_HASH)));
    let mut users = MockUserRepository::new();
    users
        .expect_set_password()
        .times(1)
        .returning(|_, _, _| Ok(false));
    let mut sessions = MockSessionRepository::new();
    sessions.expect_revoke_all().never();

    let result = service(users, sessions, hasher)
        .change_password(
            &caller(),
            &Password::candidate(CURRENT_PASSWORD),
            &Password::parse(NEW_PASSWORD).unwrap(),
        )
        .await;

    assert!(matches!(result, Err(SessionError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn a_throttled_account_cannot_guess_its_current_password() {
    let caller = authenticated(2, 9);
    let username = caller.user.username.as_str().to_lowercase();
    let mut attempts = MockLoginAttempts::new();
    attempts
        .expect_recent()
        .withf(move |key, _, limit| *key == ThrottleKey::Account(username.clone()) && *limit == 5)
        .times(1)
        .returning(|_, _, _| Ok(vec![fixed_now(); 5]));
    attempts.expect_record().never();
    let result = service_with(
        no_user_write(),
        MockSessionRepository::new(),
        idle_hasher(),
        attempts,
    )
    .change_password(
        &caller,
        &Password::candidate(CURRENT_PASSWORD),
        &Password::parse(NEW_PASSWORD).unwrap(),
    )
    .await;
    assert!(
        matches!(result, Err(SessionError::Throttled(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_wrong_current_password_counts_as_a_failed_login_of_the_account() {
    let caller = authenticated(2, 9);
    let username = caller.user.username.as_str().to_lowercase();
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_recent().returning(|_, _, _| Ok(Vec::new()));
    attempts
        .expect_record()
        .withf(move |keys, _| keys == [ThrottleKey::Account(username.clone())])
        .times(1)
        .returning(|_, _| Ok(()));
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_verify().times(1).returning(|_, _| Ok(false));
    hasher.expect_hash().never();
    let result = service_with(
        no_user_write(),
        MockSessionRepository::new(),
        hasher,
        attempts,
    )
    .change_password(
        &caller,
        &Password::candidate("not the password"),
        &Password::parse(NEW_PASSWORD).unwrap(),
    )
    .await;
    assert!(
        matches!(result, Err(SessionError::WrongPassword)),
        "{result:?}"
    );
}
