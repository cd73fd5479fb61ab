//! `SeaUserRepository`'s own machinery. What the port promises is tested by
//! the port contract (`contract.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use domain::ports::UserRepository;
use domain::{RepositoryError, UserId};
use sea_orm::ConnectionTrait;
use support::{database, users};

#[tokio::test]
async fn a_closed_pool_is_unavailable() {
    let db = database().await;
    let repo = users(&db);
    db.connection().close_by_ref().await.unwrap();

    let result = repo.find_by_id(UserId(1)).await;

    assert!(
        matches!(result, Err(RepositoryError::Unavailable(_))),
        "{result:?}"
    );
}

/// Why `create` and `update` look again after a username conflict: asked
/// to insert a row colliding on both unique indexes, the databases
/// themselves disagree on which to report. SQLite checks a table's indexes
/// newest first (each new index goes to the front of its list), so the
/// username index, created after the email index, fails first; PostgreSQL
/// checks them oldest first (by OID) and reports the email. The port says
/// Email on every backend (the contract's
/// `a_user_colliding_on_both_email_and_username_is_a_conflict_on_email`).
#[tokio::test]
async fn the_databases_report_different_indexes_for_a_double_collision() {
    let db = database().await;
    let conn = db.connection();
    support::create_user(&users(&db), "alice").await;

    let err = conn
        .execute_unprepared(
            "INSERT INTO users (email, email_key, username, username_key, full_name,
                                hashed_password, created_at, updated_at)
             VALUES ('ALICE@example.com', 'alice@example.com', 'ALICE', 'alice', 'x', 'x',
                     '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')",
        )
        .await
        .unwrap_err()
        .to_string();

    match db.backend_name() {
        "SQLite" => assert!(err.contains("users.username_key"), "{err}"),
        _ => assert!(err.contains("users_email_folded_key"), "{err}"),
    }
}
