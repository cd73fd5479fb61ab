//! `SeaSessionRepository`'s own machinery: the rows it writes, the schema's
//! checks on them, the column widths. What the port promises is tested by
//! the port contract (`contract.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;

use chrono::TimeDelta;
use domain::ports::{SessionRepository, UserRepository};
use domain::{ClientInfo, NewSession, RefreshTokenHash, RepositoryError, SessionId};
use infra_sea::entity::{refresh_token, session};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use support::{
    BASE, create_session, create_user, database, new_session, sessions, token_hash, users,
};

async fn token_count(db: &infra_sea::testing::TestDatabase, session: SessionId) -> u64 {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::SessionId.eq(session.0))
        .count(db.connection())
        .await
        .unwrap()
}

#[tokio::test]
async fn rotation_writes_one_row_per_token_created_when_it_was_issued() {
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
            later,
        )
        .await
        .unwrap()
    );
    let successor_row = refresh_token::Entity::find_by_id(refresh_token::TokenHash(
        token_hash("second").as_str().to_owned(),
    ))
    .one(db.connection())
    .await
    .unwrap()
    .unwrap();
    assert_eq!(successor_row.created_at, later);
    assert_eq!(token_count(&db, session.id).await, 2);

    // A lost rotation writes no row.
    assert!(
        !repo
            .rotate(
                session.id,
                &token_hash("first"),
                &token_hash("other"),
                later + TimeDelta::minutes(1),
            )
            .await
            .unwrap()
    );
    assert_eq!(token_count(&db, session.id).await, 2);

    assert!(
        repo.rotate(
            session.id,
            &token_hash("second"),
            &token_hash("third"),
            later + TimeDelta::minutes(5)
        )
        .await
        .unwrap()
    );
    assert_eq!(token_count(&db, session.id).await, 3);
}

#[tokio::test]
async fn deleting_a_user_deletes_their_session_and_token_rows() {
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
            BASE + TimeDelta::minutes(1)
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
        BASE + TimeDelta::minutes(1),
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
                ..new_session(alice.id, "unused", BASE)
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
async fn absent_client_info_is_stored_as_null() {
    let db = database().await;
    let repo = sessions(&db);
    let alice = create_user(&users(&db), "alice").await;

    let session = repo
        .create(NewSession {
            client: ClientInfo::default(),
            ..new_session(alice.id, "anon", BASE)
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
            ..new_session(alice.id, "ip", BASE)
        })
        .await
        .unwrap();

    assert_eq!(session.client.ip, Some("1".repeat(64)));
}
