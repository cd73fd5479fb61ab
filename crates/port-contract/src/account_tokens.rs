//! [`domain::ports::AccountTokenRepository`]: tokens stored by hash with
//! their mail in one step, only the newest link of a kind live, found only
//! while live, and a password reset that replaces the hash, ends every
//! session and queues its notice, exactly once.
//!
//! Through the ports a user never has two live tokens of one kind (`issue`
//! revokes the older one), so "revokes every other live password-reset
//! token" shows here as: the user's other kinds stay live.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::Repositories;
use domain::{AccountTokenKind, ClaimedMail, LiveAccountToken, PasswordHash, User, UserId};

use crate::support::{
    ACCOUNT_TOKEN_LIFETIME, BASE, account_token_hash, at, create_session, create_user, issue, mail,
    new_account_token,
};

const RESET: AccountTokenKind = AccountTokenKind::PasswordReset;
const VERIFY: AccountTokenKind = AccountTokenKind::EmailVerification;

/// The token hashed as `label`, of `kind`, if live at `now`.
async fn live(
    ports: &Repositories,
    label: &str,
    kind: AccountTokenKind,
    now: DateTime<Utc>,
) -> Option<LiveAccountToken> {
    ports
        .account_tokens
        .find_live(&account_token_hash(label), kind, now)
        .await
        .unwrap()
}

/// Issues a token of `user` of `kind` hashed as `label` at `created_at`,
/// and returns it as found live then.
async fn issued(
    ports: &Repositories,
    user: &User,
    kind: AccountTokenKind,
    label: &str,
    created_at: DateTime<Utc>,
) -> LiveAccountToken {
    issue(
        ports,
        new_account_token(user, kind, label, created_at),
        label,
    )
    .await;
    live(ports, label, kind, created_at)
        .await
        .expect("a token just issued is live")
}

/// Every message due at `now`, claimed (leased for a day).
async fn claim_all(ports: &Repositories, now: DateTime<Utc>) -> Vec<ClaimedMail> {
    ports
        .outbox
        .claim(now, Duration::from_secs(24 * 3600), 1000)
        .await
        .unwrap()
}

fn new_hash(label: &str) -> PasswordHash {
    PasswordHash::new(format!("$2b$12$new-hash-{label}"))
}

async fn password_of(ports: &Repositories, user: UserId) -> (PasswordHash, DateTime<Utc>) {
    let user = ports.users.find_by_id(user).await.unwrap().unwrap();
    (user.password_hash, user.updated_at)
}

pub async fn issue_stores_a_live_token_found_by_its_hash_and_kind(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let created_at = BASE + TimeDelta::microseconds(654_321);

    let token = issued(&ports, &alice, RESET, "reset", created_at).await;

    assert!(token.id.0 > 0);
    assert_eq!(token.user_id, alice.id);
    assert_eq!(token.kind, RESET);
    assert_eq!(token.email, alice.email);
    assert_eq!(token.expires_at, created_at + ACCOUNT_TOKEN_LIFETIME);
    let verification = issued(&ports, &alice, VERIFY, "verify", created_at).await;
    assert_ne!(verification.id, token.id);
    assert_eq!(verification.kind, VERIFY);
}

pub async fn issue_queues_its_mail_in_the_same_step(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let created_at = at(TimeDelta::minutes(3));
    let message = mail("alice@example.com", "reset-link");

    ports
        .account_tokens
        .issue(
            new_account_token(&alice, RESET, "reset", created_at),
            message.clone(),
        )
        .await
        .unwrap();

    assert_eq!(
        claim_all(&ports, created_at - TimeDelta::microseconds(1)).await,
        []
    );
    let claimed = claim_all(&ports, created_at).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message, message);
    assert_eq!(claimed[0].queued_at, created_at);
    assert_eq!(claimed[0].attempt, 1);
}

pub async fn issue_revokes_the_previous_live_token_of_the_same_kind_only(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    issued(&ports, &alice, RESET, "alice-reset-1", BASE).await;
    issued(&ports, &alice, VERIFY, "alice-verify", BASE).await;
    issued(&ports, &bob, RESET, "bob-reset", BASE).await;
    let later = at(TimeDelta::minutes(5));

    let newest = issued(&ports, &alice, RESET, "alice-reset-2", later).await;

    assert_eq!(live(&ports, "alice-reset-1", RESET, later).await, None);
    assert_eq!(
        live(&ports, "alice-reset-2", RESET, later).await,
        Some(newest)
    );
    assert!(live(&ports, "alice-verify", VERIFY, later).await.is_some());
    assert!(live(&ports, "bob-reset", RESET, later).await.is_some());
    // Each issue queued its own mail.
    assert_eq!(claim_all(&ports, later).await.len(), 4);
}

pub async fn find_live_refuses_used_revoked_expired_other_kind_and_unknown_tokens(
    ports: Repositories,
) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let carol = create_user(&ports, "carol").await;
    let reset = issued(&ports, &alice, RESET, "alice-reset", BASE).await;
    issued(&ports, &bob, RESET, "bob-reset", BASE).await;
    issued(&ports, &carol, VERIFY, "carol-verify", BASE).await;
    let now = at(TimeDelta::minutes(1));

    // Unknown, and of another kind.
    assert_eq!(live(&ports, "nobody", RESET, now).await, None);
    assert_eq!(live(&ports, "alice-reset", VERIFY, now).await, None);
    assert_eq!(live(&ports, "carol-verify", RESET, now).await, None);
    // Expired: live until, not at, its expiry.
    let expiry = BASE + ACCOUNT_TOKEN_LIFETIME;
    assert!(
        live(
            &ports,
            "carol-verify",
            VERIFY,
            expiry - TimeDelta::microseconds(1)
        )
        .await
        .is_some()
    );
    assert_eq!(live(&ports, "carol-verify", VERIFY, expiry).await, None);
    // Revoked.
    assert_eq!(
        ports
            .account_tokens
            .revoke_all(bob.id, RESET, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(live(&ports, "bob-reset", RESET, now).await, None);
    // Used.
    assert!(
        ports
            .account_tokens
            .redeem_password_reset(
                reset.id,
                new_hash("alice"),
                now,
                mail("alice@example.com", "notice"),
                now
            )
            .await
            .unwrap()
    );
    assert_eq!(live(&ports, "alice-reset", RESET, now).await, None);
}

pub async fn redeem_password_reset_replaces_the_hash_and_ends_every_session_of_the_user(
    ports: Repositories,
) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let phone = create_session(&ports, alice.id, "alice-phone").await;
    let laptop = create_session(&ports, alice.id, "alice-laptop").await;
    let bobs = create_session(&ports, bob.id, "bob").await;
    let token = issued(&ports, &alice, RESET, "reset", BASE).await;
    let now = at(TimeDelta::minutes(5));
    // The use case's `updated_at`, which may be a microsecond past `now`.
    let updated_at = now + TimeDelta::microseconds(1);

    let redeemed = ports
        .account_tokens
        .redeem_password_reset(
            token.id,
            new_hash("alice"),
            updated_at,
            mail("alice@example.com", "notice"),
            now,
        )
        .await
        .unwrap();

    assert!(redeemed);
    assert_eq!(
        password_of(&ports, alice.id).await,
        (new_hash("alice"), updated_at)
    );
    assert_eq!(ports.sessions.list_active(alice.id, now).await.unwrap(), []);
    for session in [phone.id, laptop.id] {
        assert_eq!(
            ports
                .sessions
                .find_authenticated(alice.id, session, now)
                .await
                .unwrap(),
            None,
            "the session is over"
        );
    }
    // Nobody else's password or sessions.
    assert_eq!(
        password_of(&ports, bob.id).await,
        (bob.password_hash, bob.updated_at)
    );
    assert!(
        ports
            .sessions
            .find_authenticated(bob.id, bobs.id, now)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn redeem_password_reset_queues_the_notice_and_leaves_other_kinds_live(
    ports: Repositories,
) {
    let alice = create_user(&ports, "alice").await;
    issued(&ports, &alice, RESET, "old-reset", BASE).await;
    let token = issued(&ports, &alice, RESET, "reset", at(TimeDelta::minutes(1))).await;
    issued(&ports, &alice, VERIFY, "verify", at(TimeDelta::minutes(1))).await;
    assert_eq!(claim_all(&ports, at(TimeDelta::minutes(1))).await.len(), 3);
    let now = at(TimeDelta::minutes(5));
    let notice = mail("alice@example.com", "your-password-changed");

    assert!(
        ports
            .account_tokens
            .redeem_password_reset(token.id, new_hash("alice"), now, notice.clone(), now)
            .await
            .unwrap()
    );

    let queued = claim_all(&ports, now).await;
    assert_eq!(queued.len(), 1, "the notice, queued at the reset");
    assert_eq!(queued[0].message, notice);
    assert_eq!(queued[0].queued_at, now);
    for label in ["old-reset", "reset"] {
        assert_eq!(live(&ports, label, RESET, now).await, None, "{label}");
    }
    assert!(live(&ports, "verify", VERIFY, now).await.is_some());
}

pub async fn concurrent_redemptions_of_one_token_give_exactly_one_true(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    create_session(&ports, alice.id, "alice").await;
    let token = issued(&ports, &alice, RESET, "contested", BASE).await;
    claim_all(&ports, BASE).await;
    let now = at(TimeDelta::minutes(1));
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let tokens = Arc::clone(&ports.account_tokens);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let label = format!("racer-{i}");
                start.wait().await;
                let won = tokens
                    .redeem_password_reset(
                        token.id,
                        new_hash(&label),
                        now,
                        mail("alice@example.com", &label),
                        now,
                    )
                    .await
                    .unwrap();
                (won, label)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (won, label) = task.await.unwrap();
        if won {
            winners.push(label);
        }
    }

    assert_eq!(winners.len(), 1, "{winners:?} won");
    assert_eq!(
        password_of(&ports, alice.id).await,
        (new_hash(&winners[0]), now)
    );
    let notices = claim_all(&ports, now).await;
    assert_eq!(notices.len(), 1, "one notice");
    assert_eq!(notices[0].message, mail("alice@example.com", &winners[0]));
    assert_eq!(ports.sessions.list_active(alice.id, now).await.unwrap(), []);
}

pub async fn a_redemption_after_the_expiry_is_false_and_writes_nothing(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "alice").await;
    let token = issued(&ports, &alice, RESET, "late", BASE).await;
    let expiry = BASE + ACCOUNT_TOKEN_LIFETIME;

    let redeemed = ports
        .account_tokens
        .redeem_password_reset(
            token.id,
            new_hash("late"),
            expiry,
            mail("alice@example.com", "notice"),
            expiry,
        )
        .await
        .unwrap();

    assert!(!redeemed);
    assert_eq!(
        password_of(&ports, alice.id).await,
        (alice.password_hash, alice.updated_at)
    );
    assert_eq!(
        ports.sessions.list_active(alice.id, expiry).await.unwrap(),
        [session]
    );
    let queued = claim_all(&ports, expiry).await;
    assert_eq!(queued.len(), 1, "only the link's mail, no notice");
    assert_eq!(queued[0].queued_at, BASE);
    // Not marked used: still live before its expiry.
    assert!(
        live(&ports, "late", RESET, expiry - TimeDelta::microseconds(1))
            .await
            .is_some()
    );
}

pub async fn a_used_revoked_or_verification_token_redeems_nothing(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let carol = create_user(&ports, "carol").await;
    let used = issued(&ports, &alice, RESET, "used", BASE).await;
    let revoked = issued(&ports, &bob, RESET, "revoked", BASE).await;
    let verification = issued(&ports, &carol, VERIFY, "verify", BASE).await;
    let now = at(TimeDelta::minutes(1));
    let redeem = |id, label: &'static str| {
        let tokens = Arc::clone(&ports.account_tokens);
        async move {
            tokens
                .redeem_password_reset(id, new_hash(label), now, mail("x@example.com", label), now)
                .await
                .unwrap()
        }
    };
    assert!(redeem(used.id, "first").await);
    ports
        .account_tokens
        .revoke_all(bob.id, RESET, now)
        .await
        .unwrap();
    claim_all(&ports, now).await;

    assert!(!redeem(used.id, "again").await, "used");
    assert!(!redeem(revoked.id, "revoked").await, "revoked");
    assert!(
        !redeem(verification.id, "verify").await,
        "not a reset token"
    );

    assert_eq!(
        password_of(&ports, alice.id).await,
        (new_hash("first"), now)
    );
    assert_eq!(password_of(&ports, bob.id).await.0, bob.password_hash);
    assert_eq!(password_of(&ports, carol.id).await.0, carol.password_hash);
    assert_eq!(claim_all(&ports, now).await, [], "no notice queued");
    assert!(live(&ports, "verify", VERIFY, now).await.is_some());
}

pub async fn revoke_all_revokes_and_counts_the_live_tokens_of_the_kind(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let carol = create_user(&ports, "carol").await;
    issued(&ports, &alice, RESET, "alice-reset", BASE).await;
    issued(&ports, &alice, VERIFY, "alice-verify", BASE).await;
    issued(&ports, &bob, RESET, "bob-reset", BASE).await;
    issued(&ports, &carol, RESET, "carol-reset", BASE).await;
    let now = at(TimeDelta::minutes(1));

    let revoked = ports
        .account_tokens
        .revoke_all(alice.id, RESET, now)
        .await
        .unwrap();

    assert_eq!(revoked, 1);
    assert_eq!(live(&ports, "alice-reset", RESET, now).await, None);
    assert!(live(&ports, "alice-verify", VERIFY, now).await.is_some());
    assert!(live(&ports, "bob-reset", RESET, now).await.is_some());
    assert_eq!(
        ports
            .account_tokens
            .revoke_all(alice.id, RESET, now)
            .await
            .unwrap(),
        0,
        "nothing live is left"
    );
    // An expired token is not live, so not revoked (nor counted).
    let expired = BASE + ACCOUNT_TOKEN_LIFETIME;
    assert_eq!(
        ports
            .account_tokens
            .revoke_all(carol.id, RESET, expired)
            .await
            .unwrap(),
        0
    );
}

pub async fn deleting_a_user_deletes_their_tokens(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    issued(&ports, &alice, RESET, "alice-reset", BASE).await;
    issued(&ports, &alice, VERIFY, "alice-verify", BASE).await;

    assert!(ports.users.delete(alice.id).await.unwrap());

    assert_eq!(live(&ports, "alice-reset", RESET, BASE).await, None);
    assert_eq!(live(&ports, "alice-verify", VERIFY, BASE).await, None);
    // The hashes are free again: the rows are gone, not just dead.
    let bob = create_user(&ports, "bob").await;
    let token = issued(&ports, &bob, RESET, "alice-reset", BASE).await;
    assert_eq!(token.user_id, bob.id);
}

pub async fn redeem_email_verification_verifies_the_user_once(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert!(!alice.email_verified, "a new user is unverified");
    let token = issued(&ports, &alice, VERIFY, "verify", BASE).await;
    let now = at(TimeDelta::minutes(5));

    let verified = ports
        .account_tokens
        .redeem_email_verification(token.id, now)
        .await
        .unwrap()
        .expect("a live token of the user's current address verifies");
    assert!(verified.email_verified);
    assert_eq!(verified.id, alice.id);
    assert_eq!(
        verified.updated_at, alice.updated_at,
        "nothing the user changed"
    );
    let stored = ports.users.find_by_id(alice.id).await.unwrap().unwrap();
    assert!(stored.email_verified);
    assert_eq!(live(&ports, "verify", VERIFY, now).await, None, "used up");
    assert_eq!(
        ports
            .account_tokens
            .redeem_email_verification(token.id, now)
            .await
            .unwrap(),
        None
    );
}

pub async fn a_verification_redeems_nothing_once_the_address_changed_or_with_a_reset_token(
    ports: Repositories,
) {
    let alice = create_user(&ports, "alice").await;
    let verify = issued(&ports, &alice, VERIFY, "verify", BASE).await;
    let reset = issued(&ports, &alice, RESET, "reset", BASE).await;
    let now = at(TimeDelta::minutes(5));
    assert_eq!(
        ports
            .account_tokens
            .redeem_email_verification(reset.id, now)
            .await
            .unwrap(),
        None,
        "a reset token is not a verification"
    );
    // Alice moves to another address: the link mailed to the old one dies.
    ports
        .users
        .update(
            alice.id,
            domain::UserChanges {
                patch: domain::UserPatch {
                    email: Some(domain::Email::parse("alice@elsewhere.example.org").unwrap()),
                    ..domain::UserPatch::default()
                },
                updated_at: at(TimeDelta::minutes(1)),
                unverifies_email: true,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ports
            .account_tokens
            .redeem_email_verification(verify.id, now)
            .await
            .unwrap(),
        None
    );
    let stored = ports.users.find_by_id(alice.id).await.unwrap().unwrap();
    assert!(!stored.email_verified);
}

pub async fn an_update_that_unverifies_the_email_clears_email_verified_and_others_keep_it(
    ports: Repositories,
) {
    let alice = create_user(&ports, "alice").await;
    let token = issued(&ports, &alice, VERIFY, "verify", BASE).await;
    let verified = ports
        .account_tokens
        .redeem_email_verification(token.id, at(TimeDelta::minutes(1)))
        .await
        .unwrap()
        .unwrap();
    let update = |minutes, unverifies_email, full_name: &str| domain::UserChanges {
        patch: domain::UserPatch {
            full_name: Some(domain::FullName::parse(full_name).unwrap()),
            ..domain::UserPatch::default()
        },
        updated_at: at(TimeDelta::minutes(minutes)),
        unverifies_email,
    };
    let kept = ports
        .users
        .update(alice.id, update(2, false, "Alice A"))
        .await
        .unwrap()
        .unwrap();
    assert!(kept.email_verified && verified.email_verified);
    let cleared = ports
        .users
        .update(alice.id, update(3, true, "Alice B"))
        .await
        .unwrap()
        .unwrap();
    assert!(!cleared.email_verified);
}

pub async fn concurrent_verifications_of_one_token_give_exactly_one_user(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let token = issued(&ports, &alice, VERIFY, "verify", BASE).await;
    let now = at(TimeDelta::minutes(1));
    let tokens = Arc::new(ports.account_tokens.clone());
    let attempts = (0..20).map(|_| {
        let tokens = tokens.clone();
        tokio::spawn(async move {
            tokens
                .redeem_email_verification(token.id, now)
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for attempt in attempts {
        if attempt.await.unwrap().is_some() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}
