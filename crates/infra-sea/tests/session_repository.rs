//! `SeaSessionRepository` against a real database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::TimeDelta;
use domain::ports::{SessionRepository, UserRepository};
use domain::{
    ClientInfo, NewSession, RefreshTokenHash, RepositoryError, SessionId, UserChanges, UserId,
    UserPatch,
};
use infra_sea::entity::{refresh_token, session};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use support::{
    create_session, create_user, database, instant, new_session, sessions, token_hash, users,
};

async fn token_count(db: &infra_sea::testing::TestDatabase, session: SessionId) -> u64 {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::SessionId.eq(session.0))
        .count(db.connection())
        .await
        .unwrap()
}

#[tokio::test]
async fn create_session_stores_it_with_its_current_first_token() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let created_at = instant("2025-03-04T05:06:07.123456Z");
    let new = NewSession {
        expires_at: created_at + TimeDelta::days(30),
        ..new_session(alice.id, "first", created_at)
    };

    let session = repo.create(new.clone()).await.unwrap();

    assert!(session.id.0 > 0);
    assert_eq!(session.user_id, alice.id);
    assert_eq!(session.created_at, created_at);
    assert_eq!(session.last_used_at, created_at);
    assert_eq!(session.expires_at, new.expires_at);
    assert_eq!(session.revoked_at, None);
    assert_eq!(session.client, new.client);

    let stored = repo
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .expect("the first token");
    assert_eq!(stored.session, session);
    assert_eq!(stored.spent_at, None);
}

#[tokio::test]
async fn find_refresh_token_of_an_unknown_hash_is_none() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    create_session(&repo, alice.id, "first").await;

    assert_eq!(
        repo.find_refresh_token(&token_hash("other")).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn rotate_spends_the_token_stores_the_successor_and_moves_last_used_at() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let session = create_session(&repo, alice.id, "first").await;
    let later = session.created_at + TimeDelta::minutes(5);

    let rotated = repo
        .rotate(
            session.id,
            &token_hash("first"),
            &token_hash("second"),
            later,
        )
        .await
        .unwrap();

    assert!(rotated);
    let spent = repo
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.spent_at, Some(later));
    let current = repo
        .find_refresh_token(&token_hash("second"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.spent_at, None);
    assert_eq!(current.session.id, session.id);
    assert_eq!(current.session.last_used_at, later);
    assert_eq!(current.session.created_at, session.created_at);
    let successor_row = refresh_token::Entity::find_by_id(refresh_token::TokenHash(
        token_hash("second").as_str().to_owned(),
    ))
    .one(db.connection())
    .await
    .unwrap()
    .unwrap();
    assert_eq!(successor_row.created_at, later);

    // The successor rotates in turn.
    let even_later = later + TimeDelta::minutes(5);
    assert!(
        repo.rotate(
            session.id,
            &token_hash("second"),
            &token_hash("third"),
            even_later
        )
        .await
        .unwrap()
    );
    assert_eq!(token_count(&db, session.id).await, 3);
}

#[tokio::test]
async fn rotating_a_spent_token_again_is_false_and_writes_nothing() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let session = create_session(&repo, alice.id, "first").await;
    let later = session.created_at + TimeDelta::minutes(5);
    assert!(
        repo.rotate(
            session.id,
            &token_hash("first"),
            &token_hash("second"),
            later
        )
        .await
        .unwrap()
    );

    let again = repo
        .rotate(
            session.id,
            &token_hash("first"),
            &token_hash("other"),
            later + TimeDelta::minutes(1),
        )
        .await
        .unwrap();

    assert!(!again);
    assert_eq!(
        repo.find_refresh_token(&token_hash("other")).await.unwrap(),
        None
    );
    let spent = repo
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.spent_at, Some(later));
    assert_eq!(spent.session.last_used_at, later);
    assert_eq!(token_count(&db, session.id).await, 2);
}

#[tokio::test]
async fn rotating_under_another_session_id_is_false() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let mine = create_session(&repo, alice.id, "mine").await;
    let other = create_session(&repo, alice.id, "other").await;

    let rotated = repo
        .rotate(
            other.id,
            &token_hash("mine"),
            &token_hash("next"),
            domain::time::SystemClock::now(),
        )
        .await
        .unwrap();

    assert!(!rotated);
    let stored = repo
        .find_refresh_token(&token_hash("mine"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.session.id, stored.spent_at), (mine.id, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_of_one_token_let_exactly_one_win() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let session = create_session(&repo, alice.id, "contested").await;
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = repo.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let successor = token_hash(&format!("successor-{i}"));
                start.wait().await;
                let won = repo
                    .rotate(
                        session.id,
                        &token_hash("contested"),
                        &successor,
                        domain::time::SystemClock::now(),
                    )
                    .await
                    .unwrap();
                (won, successor)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (won, successor) = task.await.unwrap();
        if won {
            winners.push(successor);
        }
    }

    assert_eq!(winners.len(), 1, "{} rotations won", winners.len());
    assert_eq!(token_count(&db, session.id).await, 2);
    let current = repo.find_refresh_token(&winners[0]).await.unwrap().unwrap();
    assert_eq!(current.spent_at, None);
    assert!(
        repo.find_refresh_token(&token_hash("contested"))
            .await
            .unwrap()
            .unwrap()
            .spent_at
            .is_some()
    );
}

#[tokio::test]
async fn revoke_ends_the_users_own_session_but_not_another_users() {
    let db = database().await;
    let repo = sessions(&db);
    let user_repo = users(&db);
    let alice = create_user(&user_repo, "alice").await;
    let bob = create_user(&user_repo, "bob").await;
    let session = create_session(&repo, alice.id, "alice").await;
    let now = domain::time::SystemClock::now();

    assert!(!repo.revoke(bob.id, session.id, now).await.unwrap());
    assert!(
        repo.find_authenticated(alice.id, session.id, now)
            .await
            .unwrap()
            .is_some()
    );

    assert!(repo.revoke(alice.id, session.id, now).await.unwrap());
    let stored = repo
        .find_refresh_token(&token_hash("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.session.revoked_at, Some(now));
    // Ending it again changes nothing.
    assert!(
        !repo
            .revoke(alice.id, session.id, now + TimeDelta::seconds(1))
            .await
            .unwrap()
    );
    assert!(
        !repo
            .revoke(alice.id, SessionId(session.id.0 + 1000), now)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn revoke_of_an_expired_session_is_false() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let session = create_session(&repo, alice.id, "old").await;

    let after_expiry = session.expires_at + TimeDelta::seconds(1);

    assert!(
        !repo
            .revoke(alice.id, session.id, after_expiry)
            .await
            .unwrap()
    );
    assert!(
        !repo
            .revoke(alice.id, session.id, session.expires_at)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn revoke_all_ends_every_live_session_of_the_user_except_the_kept_one() {
    let db = database().await;
    let repo = sessions(&db);
    let user_repo = users(&db);
    let alice = create_user(&user_repo, "alice").await;
    let bob = create_user(&user_repo, "bob").await;
    let one = create_session(&repo, alice.id, "one").await;
    let kept = create_session(&repo, alice.id, "kept").await;
    let three = create_session(&repo, alice.id, "three").await;
    let already = create_session(&repo, alice.id, "already").await;
    let bobs = create_session(&repo, bob.id, "bob").await;
    let now = domain::time::SystemClock::now();
    assert!(repo.revoke(alice.id, already.id, now).await.unwrap());

    let ended = repo.revoke_all(alice.id, Some(kept.id), now).await.unwrap();

    assert_eq!(ended, 2);
    let active: Vec<SessionId> = repo
        .list_active(alice.id, now)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(active, [kept.id]);
    for id in [one.id, three.id] {
        assert!(
            repo.find_authenticated(alice.id, id, now)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(repo.list_active(bob.id, now).await.unwrap().len(), 1);
    assert_eq!(repo.list_active(bob.id, now).await.unwrap()[0].id, bobs.id);

    assert_eq!(repo.revoke_all(alice.id, None, now).await.unwrap(), 1);
    assert!(repo.list_active(alice.id, now).await.unwrap().is_empty());
    assert_eq!(repo.revoke_all(alice.id, None, now).await.unwrap(), 0);
}

#[tokio::test]
async fn list_active_is_newest_first_and_leaves_out_revoked_and_expired_sessions() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let now = domain::time::SystemClock::now();
    let at = |minutes_ago: i64| now - TimeDelta::minutes(minutes_ago);
    let oldest = repo
        .create(new_session(alice.id, "oldest", at(30)))
        .await
        .unwrap();
    let tie_a = repo
        .create(new_session(alice.id, "tie_a", at(20)))
        .await
        .unwrap();
    let tie_b = repo
        .create(new_session(alice.id, "tie_b", at(20)))
        .await
        .unwrap();
    let newest = repo
        .create(new_session(alice.id, "newest", at(10)))
        .await
        .unwrap();
    let revoked = repo
        .create(new_session(alice.id, "revoked", at(5)))
        .await
        .unwrap();
    repo.revoke(alice.id, revoked.id, now).await.unwrap();
    let expired = repo
        .create(NewSession {
            expires_at: now,
            ..new_session(alice.id, "expired", at(1))
        })
        .await
        .unwrap();

    let listed = repo.list_active(alice.id, now).await.unwrap();

    let ids: Vec<SessionId> = listed.iter().map(|s| s.id).collect();
    assert_eq!(ids, [newest.id, tie_b.id, tie_a.id, oldest.id]);
    assert_eq!(listed[0], newest);
    assert!(!ids.contains(&expired.id));
    // Just before its expiry, the expired one was still listed.
    let before = repo
        .list_active(alice.id, now - TimeDelta::microseconds(1))
        .await
        .unwrap();
    assert_eq!(before[0].id, expired.id);
}

#[tokio::test]
async fn find_authenticated_returns_the_user_of_a_live_session() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let session = create_session(&repo, alice.id, "live").await;

    let found = repo
        .find_authenticated(alice.id, session.id, domain::time::SystemClock::now())
        .await
        .unwrap();

    assert_eq!(found, Some(alice));
}

#[tokio::test]
async fn find_authenticated_is_none_for_an_ended_session_or_the_wrong_user() {
    let db = database().await;
    let repo = sessions(&db);
    let user_repo = users(&db);
    let alice = create_user(&user_repo, "alice").await;
    let bob = create_user(&user_repo, "bob").await;
    let now = domain::time::SystemClock::now();
    let revoked = create_session(&repo, alice.id, "revoked").await;
    repo.revoke(alice.id, revoked.id, now).await.unwrap();
    let expired = repo
        .create(NewSession {
            expires_at: now,
            ..new_session(alice.id, "expired", now - TimeDelta::hours(1))
        })
        .await
        .unwrap();
    let bobs = create_session(&repo, bob.id, "bob").await;

    for (user, session, why) in [
        (alice.id, revoked.id, "revoked session"),
        (alice.id, expired.id, "expired session"),
        (alice.id, bobs.id, "another user's session"),
        (bob.id, revoked.id, "another user's session id"),
        (alice.id, SessionId(bobs.id.0 + 1000), "missing session"),
        (UserId(bob.id.0 + 1000), bobs.id, "missing user"),
    ] {
        assert_eq!(
            repo.find_authenticated(user, session, now).await.unwrap(),
            None,
            "{why}"
        );
    }
    assert!(
        repo.find_authenticated(bob.id, bobs.id, now)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn find_authenticated_is_none_once_the_user_is_deactivated_or_deleted() {
    let db = database().await;
    let repo = sessions(&db);
    let user_repo = users(&db);
    let alice = create_user(&user_repo, "alice").await;
    let bob = create_user(&user_repo, "bob").await;
    let alices = create_session(&repo, alice.id, "alice").await;
    let bobs = create_session(&repo, bob.id, "bob").await;
    let now = domain::time::SystemClock::now();

    user_repo
        .update(
            alice.id,
            UserChanges {
                patch: UserPatch {
                    is_active: Some(false),
                    ..UserPatch::default()
                },
                updated_at: domain::time::after(domain::time::SystemClock::now(), alice.updated_at),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        repo.find_authenticated(alice.id, alices.id, now)
            .await
            .unwrap(),
        None
    );

    assert!(user_repo.delete(bob.id).await.unwrap());
    assert_eq!(
        repo.find_authenticated(bob.id, bobs.id, now).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn deleting_a_user_deletes_their_sessions_and_refresh_tokens() {
    let db = database().await;
    let repo = sessions(&db);
    let user_repo = users(&db);
    let alice = create_user(&user_repo, "alice").await;
    let bob = create_user(&user_repo, "bob").await;
    let alices = create_session(&repo, alice.id, "alice-1").await;
    assert!(
        repo.rotate(
            alices.id,
            &token_hash("alice-1"),
            &token_hash("alice-2"),
            domain::time::SystemClock::now()
        )
        .await
        .unwrap()
    );
    create_session(&repo, alice.id, "alice-other").await;
    let bobs = create_session(&repo, bob.id, "bob").await;

    assert!(user_repo.delete(alice.id).await.unwrap());

    let left_sessions: Vec<i64> = session::Entity::find()
        .all(db.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left_sessions, [bobs.id.0]);
    let left_tokens = refresh_token::Entity::find()
        .all(db.connection())
        .await
        .unwrap();
    assert_eq!(left_tokens.len(), 1);
    assert_eq!(left_tokens[0].session_id, bobs.id.0);
    for label in ["alice-1", "alice-2", "alice-other"] {
        assert_eq!(
            repo.find_refresh_token(&token_hash(label)).await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn refresh_tokens_hold_only_the_64_character_hashes() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    let session = create_session(&repo, alice.id, "first").await;
    repo.rotate(
        session.id,
        &token_hash("first"),
        &token_hash("second"),
        domain::time::SystemClock::now(),
    )
    .await
    .unwrap();

    let stored: HashSet<String> = refresh_token::Entity::find()
        .all(db.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.token_hash.0)
        .collect();

    let expected: HashSet<String> = ["first", "second"]
        .into_iter()
        .map(|label| token_hash(label).as_str().to_owned())
        .collect();
    assert_eq!(stored, expected);
    for hash in &stored {
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
}

#[tokio::test]
async fn a_token_in_clear_is_refused_and_the_session_is_not_created() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    // What a 256-bit token looks like in base64url: not a hex SHA-256.
    let clear = RefreshTokenHash::new("q8Wv3hZkR2mN5pX7tY9uB1cD4eF6gH0iJ-KlMnOpQrS".to_owned());
    let upper_hex = RefreshTokenHash::new("AB".repeat(32));

    for hash in [clear, upper_hex] {
        let result = repo
            .create(NewSession {
                first_token: hash,
                ..new_session(alice.id, "unused", domain::time::SystemClock::now())
            })
            .await;
        assert!(
            matches!(result, Err(RepositoryError::Unexpected(_))),
            "{result:?}"
        );
    }

    // The session insert was rolled back with the token insert.
    assert_eq!(
        session::Entity::find()
            .count(db.connection())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn client_info_round_trips_unicode_and_a_512_character_user_agent() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;
    // 512 characters, many of them multi-byte: as long as the domain lets through.
    let user_agent: String = "Zoë/1.0 👩‍💻 \u{200f}مرحبا '; DROP TABLE sessions; -- "
        .chars()
        .cycle()
        .take(512)
        .collect();
    let client = ClientInfo::new(Some(&user_agent), Some("2001:db8::1".to_owned()));
    assert_eq!(client.user_agent.as_deref(), Some(user_agent.as_str()));

    let session = repo
        .create(NewSession {
            client: client.clone(),
            ..new_session(alice.id, "ua", domain::time::SystemClock::now())
        })
        .await
        .unwrap();

    assert_eq!(session.client, client);
    let listed = repo
        .list_active(alice.id, domain::time::SystemClock::now())
        .await
        .unwrap();
    assert_eq!(listed[0].client, client);
}

#[tokio::test]
async fn absent_client_info_is_stored_as_null() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;

    let session = repo
        .create(NewSession {
            client: ClientInfo::default(),
            ..new_session(alice.id, "anon", domain::time::SystemClock::now())
        })
        .await
        .unwrap();

    let row = session::Entity::find_by_id(session.id.0)
        .one(db.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.user_agent, row.ip), (None, None));
}

#[tokio::test]
async fn an_overlong_client_address_is_cut_to_the_column_width() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;

    let session = repo
        .create(NewSession {
            client: ClientInfo {
                user_agent: None,
                ip: Some("1".repeat(100)),
            },
            ..new_session(alice.id, "ip", domain::time::SystemClock::now())
        })
        .await
        .unwrap();

    assert_eq!(session.client.ip, Some("1".repeat(64)));
}
