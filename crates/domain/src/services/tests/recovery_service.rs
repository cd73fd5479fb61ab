//! Forgot-password and reset: who gets a mail, what is stored with it, the
//! throttle that treats every address alike, and what a reset does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;

use super::{
    HASH, IP, TOKEN, client, clock, composer, fixed_now, one_time_tokens, unavailable, user,
};
use crate::account::{
    AccountToken, AccountTokenHash, AccountTokenId, AccountTokenKind, LiveAccountToken,
};
use crate::password::{Password, PasswordHash};
use crate::ports::{
    MockAccountTokenRepository, MockLoginAttempts, MockOutbox, MockPasswordHasher,
    MockPersonalTokenRepository, MockUserRepository, ThrottleKey,
};
use crate::services::{
    AccountMailPorts, PasswordTokenRevocation, RecoveryError, RecoveryPolicy, RecoveryPorts,
    RecoveryService,
};
use crate::session::ClientInfo;
use crate::user::{Email, User, UserId};

const NEW_PASSWORD: &str = "a brand new passphrase";
const NEW_HASH: &str = "$2b$12$hash-of-a-brand-new-passphrase";

fn attempts_not_throttled() -> MockLoginAttempts {
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_recent().returning(|_, _, _| Ok(Vec::new()));
    attempts.expect_record().returning(|_, _| Ok(()));
    attempts.expect_clear().returning(|_| Ok(()));
    attempts
}

struct Mocks {
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    attempts: MockLoginAttempts,
    tokens: MockAccountTokenRepository,
    outbox: MockOutbox,
    personal_tokens: MockPersonalTokenRepository,
}

/// A token store that accepts revoking a user's personal access tokens.
fn revoking_personal_tokens() -> MockPersonalTokenRepository {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_revoke_all().returning(|_, _| Ok(0));
    tokens
}

impl Mocks {
    fn new() -> Self {
        Self {
            users: MockUserRepository::new(),
            hasher: MockPasswordHasher::new(),
            attempts: attempts_not_throttled(),
            tokens: MockAccountTokenRepository::new(),
            outbox: MockOutbox::new(),
            personal_tokens: revoking_personal_tokens(),
        }
    }

    fn service(self) -> RecoveryService {
        RecoveryService::new(
            RecoveryPorts {
                users: Arc::new(self.users),
                hasher: Arc::new(self.hasher),
                attempts: Arc::new(self.attempts),
                mail: AccountMailPorts {
                    tokens: Arc::new(self.tokens),
                    one_time_tokens: Arc::new(one_time_tokens()),
                    outbox: Arc::new(self.outbox),
                    composer: Arc::new(composer()),
                    verification_lifetime: std::time::Duration::from_secs(48 * 3600),
                },
                token_revocation: PasswordTokenRevocation {
                    tokens: Arc::new(self.personal_tokens),
                    enabled: true,
                },
                clock: clock(),
            },
            RecoveryPolicy::default(),
        )
    }
}

fn address(user: &User) -> Email {
    user.email.clone()
}

fn finds(users: &mut MockUserRepository, found: Option<User>) {
    users
        .expect_find_by_login()
        .returning(move |_| Ok(found.clone()));
}

#[tokio::test]
async fn an_active_users_address_gets_a_reset_link_stored_with_its_mail() {
    let alice = user(7, false, true);
    let mut mocks = Mocks::new();
    let wanted = alice.email.as_str().to_owned();
    mocks
        .users
        .expect_find_by_login()
        .withf(move |login| login == wanted)
        .returning({
            let alice = alice.clone();
            move |_| Ok(Some(alice.clone()))
        });
    let issued = Arc::new(Mutex::new(Vec::new()));
    let record = issued.clone();
    mocks
        .tokens
        .expect_issue()
        .times(1)
        .returning(move |token, mail| {
            record.lock().unwrap().push((token, mail));
            Ok(())
        });

    mocks
        .service()
        .forgot_password(&address(&alice), &client())
        .await
        .unwrap();

    let issued = issued.lock().unwrap();
    let (token, mail) = &issued[0];
    assert_eq!(token.user_id, UserId(7));
    assert_eq!(token.kind, AccountTokenKind::PasswordReset);
    assert_eq!(token.hash, AccountTokenHash::new(format!("hash:{TOKEN}")));
    assert_eq!(token.email, alice.email);
    assert_eq!(token.created_at, fixed_now());
    assert_eq!(token.expires_at, fixed_now() + TimeDelta::minutes(30));
    assert_eq!(mail.to, alice.email);
    assert_eq!(mail.subject, "reset");
    assert_eq!(
        mail.text, TOKEN,
        "the mail carries the token whose hash is stored"
    );
}

#[tokio::test]
async fn an_unknown_or_inactive_address_gets_nothing_and_the_same_answer() {
    for found in [None, Some(user(7, false, false))] {
        let mut mocks = Mocks::new();
        finds(&mut mocks.users, found);
        mocks.tokens.expect_issue().never();
        mocks.outbox.expect_enqueue().never();
        let email = Email::parse("user7@example.com").unwrap();
        mocks
            .service()
            .forgot_password(&email, &client())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn every_request_counts_for_its_address_and_client_known_or_not() {
    for found in [None, Some(user(7, false, true))] {
        let mut mocks = Mocks::new();
        finds(&mut mocks.users, found);
        mocks.tokens.expect_issue().returning(|_, _| Ok(()));
        let mut attempts = MockLoginAttempts::new();
        attempts.expect_recent().returning(|_, _, _| Ok(Vec::new()));
        attempts
            .expect_record()
            .times(1)
            .withf(|keys, at| {
                keys == [
                    ThrottleKey::RecoveryIp(IP.to_owned()),
                    ThrottleKey::RecoveryAddress("user7@example.com".to_owned()),
                ] && *at == fixed_now()
            })
            .returning(|_, _| Ok(()));
        mocks.attempts = attempts;
        // Upper case: the address counts by its case-folded key.
        let email = Email::parse("USER7@Example.com").unwrap();
        mocks
            .service()
            .forgot_password(&email, &client())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn over_either_limit_the_request_is_refused_before_any_lookup() {
    for throttled in [
        ThrottleKey::RecoveryIp(IP.to_owned()),
        ThrottleKey::RecoveryAddress("alice@example.com".to_owned()),
    ] {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_by_login().never();
        mocks.tokens.expect_issue().never();
        let mut attempts = MockLoginAttempts::new();
        let full = throttled.clone();
        attempts.expect_recent().returning(move |key, _, limit| {
            Ok(if *key == full {
                // The limit's worth of requests, the oldest 10 minutes ago.
                (0..limit)
                    .map(|i| fixed_now() - TimeDelta::minutes(10) + TimeDelta::seconds(i.into()))
                    .rev()
                    .collect()
            } else {
                Vec::new()
            })
        });
        attempts.expect_record().never();
        mocks.attempts = attempts;
        let email = Email::parse("alice@example.com").unwrap();
        let err = mocks
            .service()
            .forgot_password(&email, &client())
            .await
            .unwrap_err();
        let RecoveryError::Throttled(wait) = err else {
            panic!("{throttled:?}: expected Throttled, got {err:?}");
        };
        assert_eq!(wait.0, Duration::from_secs(50 * 60), "{throttled:?}");
    }
}

#[tokio::test]
async fn without_a_client_address_only_the_address_counts() {
    let mut mocks = Mocks::new();
    finds(&mut mocks.users, None);
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_recent().returning(|_, _, _| Ok(Vec::new()));
    attempts
        .expect_record()
        .withf(|keys, _| keys == [ThrottleKey::RecoveryAddress("bob@example.com".to_owned())])
        .returning(|_, _| Ok(()));
    mocks.attempts = attempts;
    let email = Email::parse("bob@example.com").unwrap();
    mocks
        .service()
        .forgot_password(&email, &ClientInfo::new(None, None))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_store_outage_is_unavailable() {
    let mut mocks = Mocks::new();
    finds(&mut mocks.users, Some(user(7, false, true)));
    mocks
        .tokens
        .expect_issue()
        .returning(|_, _| Err(unavailable()));
    let email = Email::parse("user7@example.com").unwrap();
    let err = mocks
        .service()
        .forgot_password(&email, &client())
        .await
        .unwrap_err();
    assert!(matches!(err, RecoveryError::Unavailable(_)), "{err:?}");
}

fn live_token(user_id: i64) -> LiveAccountToken {
    LiveAccountToken {
        id: AccountTokenId(41),
        user_id: UserId(user_id),
        kind: AccountTokenKind::PasswordReset,
        email: Email::from_stored(format!("user{user_id}@example.com")),
        expires_at: fixed_now() + TimeDelta::minutes(20),
    }
}

fn reset_mocks(found: Option<User>) -> Mocks {
    let mut mocks = Mocks::new();
    mocks
        .tokens
        .expect_find_live()
        .withf(|hash, kind, now| {
            *hash == AccountTokenHash::new(format!("hash:{TOKEN}"))
                && *kind == AccountTokenKind::PasswordReset
                && *now == fixed_now()
        })
        .returning(|_, _, _| Ok(Some(live_token(7))));
    mocks
        .users
        .expect_find_by_id()
        .with(mockall::predicate::eq(UserId(7)))
        .returning(move |_| Ok(found.clone()));
    mocks
}

fn new_password() -> Password {
    Password::parse(NEW_PASSWORD).unwrap()
}

#[tokio::test]
async fn a_reset_redeems_the_token_with_the_new_hash_and_a_notice_then_clears_the_lockout() {
    let mut mocks = reset_mocks(Some(user(7, false, true)));
    mocks
        .hasher
        .expect_hash()
        .withf(|password| password.expose() == NEW_PASSWORD)
        .returning(|_| Ok(PasswordHash::new(NEW_HASH)));
    mocks
        .tokens
        .expect_redeem_password_reset()
        .times(1)
        .withf(|id, hash, updated_at, notice, now| {
            *id == AccountTokenId(41)
                && hash.as_str() == NEW_HASH
                && *updated_at > super::long_ago()
                && notice.subject == "changed"
                && notice.to.as_str() == "user7@example.com"
                && *now == fixed_now()
        })
        .returning(|_, _, _, _, _| Ok(true));
    let mut attempts = MockLoginAttempts::new();
    attempts
        .expect_clear()
        .times(1)
        .withf(|key| *key == ThrottleKey::Account("user7".to_owned()))
        .returning(|_| Ok(()));
    mocks.attempts = attempts;

    mocks
        .service()
        .reset_password(&AccountToken::new(TOKEN.to_owned()), &new_password())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_token_is_invalid_before_any_hashing() {
    let mut mocks = Mocks::new();
    mocks
        .tokens
        .expect_find_live()
        .returning(|_, _, _| Ok(None));
    mocks.hasher.expect_hash().never();
    mocks.tokens.expect_redeem_password_reset().never();
    let err = mocks
        .service()
        .reset_password(&AccountToken::new("forged".to_owned()), &new_password())
        .await
        .unwrap_err();
    assert!(matches!(err, RecoveryError::InvalidToken), "{err:?}");
}

#[tokio::test]
async fn a_token_of_a_deleted_or_inactive_user_is_invalid() {
    for found in [None, Some(user(7, false, false))] {
        let mut mocks = reset_mocks(found);
        mocks.hasher.expect_hash().never();
        mocks.tokens.expect_redeem_password_reset().never();
        let err = mocks
            .service()
            .reset_password(&AccountToken::new(TOKEN.to_owned()), &new_password())
            .await
            .unwrap_err();
        assert!(matches!(err, RecoveryError::InvalidToken), "{err:?}");
    }
}

#[tokio::test]
async fn losing_the_redemption_to_a_concurrent_reset_is_invalid_and_clears_nothing() {
    let mut mocks = reset_mocks(Some(user(7, false, true)));
    mocks
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new(HASH)));
    mocks
        .tokens
        .expect_redeem_password_reset()
        .returning(|_, _, _, _, _| Ok(false));
    let mut attempts = MockLoginAttempts::new();
    attempts.expect_clear().never();
    mocks.attempts = attempts;
    let err = mocks
        .service()
        .reset_password(&AccountToken::new(TOKEN.to_owned()), &new_password())
        .await
        .unwrap_err();
    assert!(matches!(err, RecoveryError::InvalidToken), "{err:?}");
}

#[tokio::test]
async fn a_password_change_revokes_the_reset_links_and_queues_the_notice() {
    let alice = user(7, false, true);
    let mut tokens = MockAccountTokenRepository::new();
    tokens
        .expect_revoke_all()
        .times(1)
        .withf(|user, kind, now| {
            *user == UserId(7) && *kind == AccountTokenKind::PasswordReset && *now == fixed_now()
        })
        .returning(|_, _, _| Ok(1));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .times(1)
        .withf(|mail, now| mail.subject == "changed" && *now == fixed_now())
        .returning(|_, _| Ok(crate::mail::OutboxId(1)));
    let ports = AccountMailPorts {
        tokens: Arc::new(tokens),
        one_time_tokens: Arc::new(one_time_tokens()),
        outbox: Arc::new(outbox),
        composer: Arc::new(composer()),
        verification_lifetime: std::time::Duration::from_secs(48 * 3600),
    };
    ports.password_changed(&alice, fixed_now()).await.unwrap();
}

fn verification_token(user_id: i64) -> LiveAccountToken {
    LiveAccountToken {
        kind: AccountTokenKind::EmailVerification,
        ..live_token(user_id)
    }
}

#[tokio::test]
async fn a_verification_token_redeems_to_the_verified_user() {
    let mut mocks = Mocks::new();
    mocks
        .tokens
        .expect_find_live()
        .withf(|_, kind, _| *kind == AccountTokenKind::EmailVerification)
        .returning(|_, _, _| Ok(Some(verification_token(7))));
    mocks
        .tokens
        .expect_redeem_email_verification()
        .withf(|id, now| *id == AccountTokenId(41) && *now == fixed_now())
        .times(1)
        .returning(|_, _| {
            Ok(Some(User {
                email_verified: true,
                ..user(7, false, true)
            }))
        });
    let verified = mocks
        .service()
        .verify_email(&AccountToken::new(TOKEN.to_owned()))
        .await
        .unwrap();
    assert!(verified.email_verified);
}

#[tokio::test]
async fn a_verification_that_redeems_nothing_or_an_inactive_user_is_invalid() {
    for redeemed in [None, Some(user(7, false, false))] {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_find_live()
            .returning(|_, _, _| Ok(Some(verification_token(7))));
        mocks
            .tokens
            .expect_redeem_email_verification()
            .returning(move |_, _| Ok(redeemed.clone()));
        let err = mocks
            .service()
            .verify_email(&AccountToken::new(TOKEN.to_owned()))
            .await
            .unwrap_err();
        assert!(matches!(err, RecoveryError::InvalidToken), "{err:?}");
    }
}

#[tokio::test]
async fn a_fresh_verification_link_goes_to_an_unverified_user_only() {
    for (verified, links) in [(false, 1), (true, 0)] {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_issue()
            .withf(|token, mail| {
                token.kind == AccountTokenKind::EmailVerification
                    && token.expires_at == fixed_now() + TimeDelta::hours(48)
                    && mail.subject == "verify"
                    && mail.text == TOKEN
            })
            .times(links)
            .returning(|_, _| Ok(()));
        let caller = User {
            email_verified: verified,
            ..user(7, false, true)
        };
        mocks
            .service()
            .resend_verification(&caller, &client())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn only_an_admin_mails_someone_a_reset_link_and_only_to_an_existing_user() {
    let mut mocks = Mocks::new();
    mocks.users.expect_find_by_id().never();
    let err = mocks
        .service()
        .admin_password_reset(super::member(1), UserId(7))
        .await
        .unwrap_err();
    assert!(matches!(err, RecoveryError::Forbidden), "{err:?}");

    let mut mocks = Mocks::new();
    mocks.users.expect_find_by_id().returning(|_| Ok(None));
    let err = mocks
        .service()
        .admin_password_reset(super::admin(1), UserId(7))
        .await
        .unwrap_err();
    assert!(matches!(err, RecoveryError::NotFound), "{err:?}");

    let mut mocks = Mocks::new();
    mocks
        .users
        .expect_find_by_id()
        .returning(|_| Ok(Some(user(7, false, true))));
    mocks
        .tokens
        .expect_issue()
        .withf(|token, mail| {
            token.kind == AccountTokenKind::PasswordReset
                && token.user_id == UserId(7)
                && mail.subject == "reset"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    mocks
        .service()
        .admin_password_reset(super::admin(1), UserId(7))
        .await
        .unwrap();
}
