//! [`domain::ports::PersonalTokenRepository`]: tokens stored and found by
//! the hash of their secret, live until revoked or expired and only while
//! their user is active, listed newest first, `last_used_at` moved at most
//! once per interval, and gone with their user.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::Repositories;
use domain::{
    NewPersonalToken, PersonalToken, PersonalTokenHash, PersonalTokenId, TokenName, TokenScopes,
    User, UserChanges, UserPatch,
};

use crate::support::{BASE, at, create_user};

/// A hash distinct per `label` (the adapters keep it as opaque text).
fn hash(label: &str) -> PersonalTokenHash {
    PersonalTokenHash::new(format!("pat-hash-{label}"))
}

fn new_token(
    user: &User,
    label: &str,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> NewPersonalToken {
    NewPersonalToken {
        user_id: user.id,
        name: TokenName::parse(format!("token {label}")).unwrap(),
        scopes: TokenScopes::ALL,
        hash: hash(label),
        created_at,
        expires_at,
    }
}

async fn create(
    ports: &Repositories,
    user: &User,
    label: &str,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> PersonalToken {
    ports
        .personal_tokens
        .create(new_token(user, label, created_at, expires_at))
        .await
        .expect("create a personal access token")
}

async fn live(ports: &Repositories, label: &str, now: DateTime<Utc>) -> Option<PersonalTokenId> {
    ports
        .personal_tokens
        .find_live(&hash(label), now)
        .await
        .unwrap()
        .map(|(token, _)| token.id)
}

pub async fn create_returns_the_stored_token_and_find_live_finds_it_by_hash(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let expires = at(TimeDelta::days(30));
    let read_only = NewPersonalToken {
        name: TokenName::parse("CI — déploiement 🚀").unwrap(),
        scopes: TokenScopes::parse(["todos:read"]).unwrap(),
        ..new_token(&alice, "ci", BASE, Some(expires))
    };

    let created = ports
        .personal_tokens
        .create(read_only.clone())
        .await
        .unwrap();

    assert_eq!(created.user_id, alice.id);
    assert_eq!(created.name, read_only.name);
    assert_eq!(created.scopes, read_only.scopes);
    assert_eq!(created.created_at, BASE);
    assert_eq!(created.expires_at, Some(expires));
    assert_eq!((created.last_used_at, created.revoked_at), (None, None));
    let (found, owner) = ports
        .personal_tokens
        .find_live(&hash("ci"), at(TimeDelta::days(1)))
        .await
        .unwrap()
        .expect("live");
    assert_eq!(found, created);
    assert_eq!(owner, alice);
    assert_eq!(live(&ports, "unknown", BASE).await, None);
}

pub async fn a_token_is_live_until_it_expires_or_is_revoked(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let expires = at(TimeDelta::days(7));
    let expiring = create(&ports, &alice, "expiring", BASE, Some(expires)).await;
    let forever = create(&ports, &alice, "forever", BASE, None).await;
    let just_before = expires - TimeDelta::microseconds(1);

    assert_eq!(
        live(&ports, "expiring", just_before).await,
        Some(expiring.id)
    );
    assert_eq!(
        live(&ports, "expiring", expires).await,
        None,
        "expired at its instant"
    );
    assert_eq!(
        live(&ports, "forever", at(TimeDelta::days(3650))).await,
        Some(forever.id)
    );
    let tokens = &ports.personal_tokens;
    assert!(
        tokens
            .holds(alice.id, expiring.id, just_before)
            .await
            .unwrap()
    );
    assert!(!tokens.holds(alice.id, expiring.id, expires).await.unwrap());

    let now = at(TimeDelta::hours(1));
    assert!(tokens.revoke(alice.id, forever.id, now).await.unwrap());
    assert_eq!(live(&ports, "forever", now).await, None);
    assert!(!tokens.holds(alice.id, forever.id, now).await.unwrap());
    assert!(
        !tokens.revoke(alice.id, forever.id, now).await.unwrap(),
        "revoking twice is false"
    );
}

pub async fn nobody_else_may_revoke_or_hold_a_token(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let token = create(&ports, &alice, "alices", BASE, None).await;
    let tokens = &ports.personal_tokens;

    assert!(!tokens.revoke(bob.id, token.id, BASE).await.unwrap());
    assert!(!tokens.holds(bob.id, token.id, BASE).await.unwrap());
    assert_eq!(tokens.revoke_all(bob.id, BASE).await.unwrap(), 0);
    assert!(tokens.holds(alice.id, token.id, BASE).await.unwrap());
    assert!(
        !tokens
            .revoke(alice.id, PersonalTokenId(token.id.0 + 1000), BASE)
            .await
            .unwrap()
    );
}

/// Sets `user`'s `is_active` at `updated_at`.
async fn set_active(ports: &Repositories, user: &User, active: bool, updated_at: DateTime<Utc>) {
    ports
        .users
        .update(
            user.id,
            UserChanges {
                patch: UserPatch {
                    is_active: Some(active),
                    ..UserPatch::default()
                },
                updated_at,
                unverifies_email: false,
            },
        )
        .await
        .unwrap()
        .expect("updated");
}

pub async fn a_deactivated_users_tokens_are_not_live_until_reactivated(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let token = create(&ports, &alice, "alices", BASE, None).await;
    let later = at(TimeDelta::minutes(1));
    set_active(&ports, &alice, false, later).await;

    assert_eq!(live(&ports, "alices", later).await, None);
    assert!(
        !ports
            .personal_tokens
            .holds(alice.id, token.id, later)
            .await
            .unwrap()
    );

    let even_later = at(TimeDelta::minutes(2));
    set_active(&ports, &alice, true, even_later).await;
    assert_eq!(live(&ports, "alices", even_later).await, Some(token.id));
}

pub async fn list_is_newest_first_without_revoked_tokens_and_only_the_users(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let old = create(&ports, &alice, "old", BASE, Some(at(TimeDelta::days(1)))).await;
    let twin_a = create(&ports, &alice, "twin-a", at(TimeDelta::hours(1)), None).await;
    let twin_b = create(&ports, &alice, "twin-b", at(TimeDelta::hours(1)), None).await;
    let revoked = create(&ports, &alice, "revoked", at(TimeDelta::hours(2)), None).await;
    create(&ports, &bob, "bobs", at(TimeDelta::hours(3)), None).await;
    let tokens = &ports.personal_tokens;
    assert!(
        tokens
            .revoke(alice.id, revoked.id, at(TimeDelta::hours(4)))
            .await
            .unwrap()
    );

    let listed: Vec<PersonalTokenId> = tokens
        .list(alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();

    // The expired one stays listed (its owner sees it expired); the same
    // instant is ordered by id, descending.
    assert_eq!(listed, [twin_b.id, twin_a.id, old.id]);
}

pub async fn revoke_all_revokes_and_counts_only_the_unrevoked_tokens(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let first = create(&ports, &alice, "first", BASE, None).await;
    create(&ports, &alice, "second", BASE, None).await;
    create(&ports, &alice, "third", BASE, Some(at(TimeDelta::days(1)))).await;
    let tokens = &ports.personal_tokens;
    assert!(tokens.revoke(alice.id, first.id, BASE).await.unwrap());

    let later = at(TimeDelta::minutes(5));
    assert_eq!(tokens.revoke_all(alice.id, later).await.unwrap(), 2);

    assert!(tokens.list(alice.id).await.unwrap().is_empty());
    assert_eq!(live(&ports, "second", later).await, None);
    assert_eq!(tokens.revoke_all(alice.id, later).await.unwrap(), 0);
}

pub async fn touch_moves_last_used_at_at_most_once_per_interval(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let token = create(&ports, &alice, "used", BASE, None).await;
    let tokens = &ports.personal_tokens;
    let minute = TimeDelta::minutes(1);
    let last_used = |ports: Repositories| async move {
        ports.personal_tokens.list(alice.id).await.unwrap()[0].last_used_at
    };

    let first = at(TimeDelta::seconds(10));
    assert!(tokens.touch(token.id, first, first - minute).await.unwrap());
    assert_eq!(last_used(ports.clone()).await, Some(first));

    let soon = at(TimeDelta::seconds(40));
    assert!(
        !tokens.touch(token.id, soon, soon - minute).await.unwrap(),
        "used again within the minute: no write"
    );
    assert_eq!(last_used(ports.clone()).await, Some(first));

    let a_minute_on = first + minute + TimeDelta::microseconds(1);
    assert!(
        tokens
            .touch(token.id, a_minute_on, a_minute_on - minute)
            .await
            .unwrap()
    );
    assert_eq!(last_used(ports.clone()).await, Some(a_minute_on));
    assert!(
        !tokens
            .touch(PersonalTokenId(token.id.0 + 1000), first, first)
            .await
            .unwrap()
    );
}

pub async fn concurrent_touches_write_exactly_once(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let token = create(&ports, &alice, "busy", BASE, None).await;
    let now = at(TimeDelta::minutes(10));
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let tokens = Arc::clone(&ports.personal_tokens);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                tokens
                    .touch(token.id, now, now - TimeDelta::minutes(1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut writes = 0;
    for task in tasks {
        writes += usize::from(task.await.unwrap());
    }

    assert_eq!(writes, 1);
}

pub async fn deleting_a_user_deletes_their_tokens(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    create(&ports, &alice, "alices", BASE, None).await;

    assert!(ports.users.delete(alice.id).await.unwrap());

    assert_eq!(live(&ports, "alices", BASE).await, None);
    // The hash is free again: the row is gone, not just dead.
    let bob = create_user(&ports, "bob").await;
    let token = create(&ports, &bob, "alices", BASE, None).await;
    assert_eq!(live(&ports, "alices", BASE).await, Some(token.id));
}
