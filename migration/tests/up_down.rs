//! The migrations apply, roll back and apply again on a fresh database.
//!
//! This runs on an in-memory SQLite database so that `cargo test -p migration`
//! needs nothing installed; `infra-sea`'s tests run the same cycle on
//! PostgreSQL through its `TestDatabase`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement,
};

async fn fresh_database() -> DatabaseConnection {
    // One connection: every connection to `:memory:` would otherwise see its
    // own empty database.
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("open in-memory SQLite")
}

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db).has_table(table).await.unwrap()
}

const FIRST_SCHEMA: &[&str] = &["users", "todos"];
const SESSIONS_SCHEMA: &[&str] = &["sessions", "refresh_tokens", "login_attempts"];
const COUNTS_SCHEMA: &[&str] = &["todo_counts", "user_count"];
const ACCOUNT_SCHEMA: &[&str] = &["account_tokens", "outbox"];
const MFA_SCHEMA: &[&str] = &["totp_factors", "recovery_codes"];

/// How many steps `down` takes from the newest migration to undo `name` and
/// every migration after it.
fn steps_to_undo(name: &str) -> u32 {
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("{name} is not listed"));
    u32::try_from(migrations.len() - position).unwrap()
}

async fn assert_tables(db: &DatabaseConnection, tables: &[&str], present: bool) {
    for table in tables {
        assert_eq!(has_table(db, table).await, present, "table {table}");
    }
}

#[tokio::test]
async fn up_down_up_on_a_fresh_database() {
    let db = fresh_database().await;

    Migrator::up(&db, None).await.expect("first up");
    assert_tables(&db, FIRST_SCHEMA, true).await;
    assert_tables(&db, SESSIONS_SCHEMA, true).await;
    assert_tables(&db, COUNTS_SCHEMA, true).await;
    assert_tables(&db, ACCOUNT_SCHEMA, true).await;
    assert_tables(&db, MFA_SCHEMA, true).await;

    Migrator::down(&db, None).await.expect("down");
    assert_tables(&db, FIRST_SCHEMA, false).await;
    assert_tables(&db, SESSIONS_SCHEMA, false).await;
    assert_tables(&db, COUNTS_SCHEMA, false).await;
    assert_tables(&db, ACCOUNT_SCHEMA, false).await;
    assert_tables(&db, MFA_SCHEMA, false).await;

    Migrator::up(&db, None).await.expect("second up");
    assert_tables(&db, FIRST_SCHEMA, true).await;
    assert_tables(&db, SESSIONS_SCHEMA, true).await;
    assert_tables(&db, COUNTS_SCHEMA, true).await;
    assert_tables(&db, ACCOUNT_SCHEMA, true).await;
    assert_tables(&db, MFA_SCHEMA, true).await;
}

#[tokio::test]
async fn down_of_the_sessions_migration_keeps_the_first_schema() {
    let db = fresh_database().await;
    Migrator::up(&db, None).await.expect("up");

    let steps = steps_to_undo("m20250201_000002_sessions_and_login_attempts");
    Migrator::down(&db, Some(steps))
        .await
        .expect("down to the first schema");
    assert_tables(&db, FIRST_SCHEMA, true).await;
    assert_tables(&db, SESSIONS_SCHEMA, false).await;

    Migrator::up(&db, None).await.expect("up again");
    assert_tables(&db, SESSIONS_SCHEMA, true).await;
}

#[tokio::test]
async fn down_of_the_mfa_migration_keeps_the_account_schema() {
    let db = fresh_database().await;
    Migrator::up(&db, None).await.expect("up");

    let steps = steps_to_undo("m20250901_000010_mfa");
    Migrator::down(&db, Some(steps))
        .await
        .expect("down to before the second factor");
    assert_tables(&db, MFA_SCHEMA, false).await;
    assert_tables(&db, ACCOUNT_SCHEMA, true).await;

    Migrator::up(&db, None).await.expect("up again");
    assert_tables(&db, MFA_SCHEMA, true).await;
}

#[tokio::test]
async fn the_migrations_are_listed_oldest_first() {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "m20250101_000001_create_users_and_todos",
            "m20250201_000002_sessions_and_login_attempts",
            "m20250301_000003_case_folded_user_keys",
            "m20250401_000004_row_counts",
            "m20250501_000005_prune_indexes",
            "m20250601_000006_account_tokens_and_outbox",
            "m20250701_000007_email_verified",
            "m20250801_000008_personal_access_tokens",
            "m20250901_000010_mfa",
        ]
    );
}

async fn insert_user(db: &DatabaseConnection, email: &str, username: &str) {
    db.execute_unprepared(&format!(
        "INSERT INTO users (email, username, full_name, hashed_password, created_at, updated_at)
         VALUES ('{email}', '{username}', 'Someone', 'x',
                 '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')"
    ))
    .await
    .expect("insert a user");
}

async fn keys(db: &DatabaseConnection) -> Vec<(String, String)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT email_key, username_key FROM users ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.try_get("", "email_key").unwrap(),
            row.try_get("", "username_key").unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn the_keys_migration_fills_in_domain_fold_case_of_every_row() {
    let db = fresh_database().await;
    Migrator::up(&db, Some(2))
        .await
        .expect("up to the sessions");
    insert_user(&db, "Émile@Example.ORG", "Emile_1").await;
    insert_user(&db, "bob@example.com", "bob").await;

    Migrator::up(&db, None).await.expect("the keys");

    assert_eq!(
        keys(&db).await,
        [
            ("émile@example.org".to_owned(), "emile_1".to_owned()),
            ("bob@example.com".to_owned(), "bob".to_owned()),
        ]
    );
    // Down and up again keep the rows and their keys.
    Migrator::down(
        &db,
        Some(steps_to_undo("m20250301_000003_case_folded_user_keys")),
    )
    .await
    .expect("down the keys");
    Migrator::up(&db, None).await.expect("up the keys again");
    assert_eq!(keys(&db).await.len(), 2);
}

/// SQLite's `lower()` folds ASCII only, so its old index let `É...` and
/// `é...` both in: the migration says so rather than fail on its index.
#[tokio::test]
async fn the_keys_migration_refuses_two_users_who_are_one_ignoring_case() {
    let db = fresh_database().await;
    Migrator::up(&db, Some(2))
        .await
        .expect("up to the sessions");
    insert_user(&db, "Émile@example.org", "emile").await;
    insert_user(&db, "bob@example.com", "bob").await;
    insert_user(&db, "émile@example.org", "emile_2").await;

    let err = Migrator::up(&db, None).await.unwrap_err();

    let DbErr::Migration(message) = &err else {
        panic!("not a migration error: {err:?}");
    };
    assert!(
        message.contains("users 1, 3 have the same email ignoring case"),
        "{message}"
    );
    assert!(message.contains("run the migration again"), "{message}");
    assert!(!message.contains("UNIQUE constraint"), "{message}");
    // Nothing of it applied.
    let pending = Migrator::get_pending_migrations(&db).await.unwrap();
    assert_eq!(
        pending.first().map(|m| m.name().to_owned()).as_deref(),
        Some("m20250301_000003_case_folded_user_keys"),
        "the keys' migration is the first pending"
    );
    assert!(
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT email_key FROM users",
        ))
        .await
        .is_err(),
        "the key column was left behind"
    );
}

#[tokio::test]
async fn down_of_the_counters_migration_keeps_the_rest() {
    let db = fresh_database().await;
    Migrator::up(&db, None).await.expect("up");

    Migrator::down(&db, Some(steps_to_undo("m20250401_000004_row_counts")))
        .await
        .expect("down the counters");
    assert_tables(&db, COUNTS_SCHEMA, false).await;
    assert_tables(&db, FIRST_SCHEMA, true).await;
    assert_tables(&db, SESSIONS_SCHEMA, true).await;

    Migrator::up(&db, None).await.expect("up again");
    assert_tables(&db, COUNTS_SCHEMA, true).await;
}

#[tokio::test]
async fn down_of_the_account_tokens_migration_keeps_the_rest_and_its_data() {
    let db = fresh_database().await;
    Migrator::up(&db, None).await.expect("up");
    insert_user(&db, "alice@example.com", "alice").await;
    db.execute_unprepared(
        "INSERT INTO account_tokens (user_id, kind, token_hash, email, created_at, expires_at)
         VALUES (1, 'password_reset', 'hash', 'alice@example.com',
                 '2025-01-01T00:00:00+00:00', '2025-01-01T01:00:00+00:00')",
    )
    .await
    .expect("insert a token");

    Migrator::down(
        &db,
        Some(steps_to_undo("m20250601_000006_account_tokens_and_outbox")),
    )
    .await
    .expect("down the account tokens and the outbox");
    assert_tables(&db, ACCOUNT_SCHEMA, false).await;
    assert_tables(&db, MFA_SCHEMA, false).await;
    assert_tables(&db, FIRST_SCHEMA, true).await;
    assert_tables(&db, SESSIONS_SCHEMA, true).await;
    assert_tables(&db, COUNTS_SCHEMA, true).await;
    assert_eq!(keys(&db).await.len(), 1, "the user stays");

    Migrator::up(&db, None).await.expect("up again");
    assert_tables(&db, ACCOUNT_SCHEMA, true).await;
    assert_tables(&db, MFA_SCHEMA, true).await;
}

/// `users.email_verified` of every user, by username.
async fn verified(db: &DatabaseConnection) -> Vec<(String, bool)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT username, email_verified FROM users ORDER BY username",
    ))
    .await
    .expect("read email_verified")
    .iter()
    .map(|row| {
        (
            row.try_get("", "username").unwrap(),
            row.try_get("", "email_verified").unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn email_verified_starts_false_for_existing_users_and_goes_down_and_up() {
    let db = fresh_database().await;
    let before = steps_to_undo("m20250701_000007_email_verified");
    let all = u32::try_from(Migrator::migrations().len()).unwrap();
    Migrator::up(&db, Some(all - before))
        .await
        .expect("up to the migration before");
    insert_keyed_user(&db, "alice").await;
    Migrator::up(&db, None).await.expect("up");
    assert_eq!(verified(&db).await, [("alice".to_owned(), false)]);
    insert_keyed_user(&db, "bob").await;
    assert_eq!(
        verified(&db).await[1],
        ("bob".to_owned(), false),
        "the default"
    );

    Migrator::down(&db, Some(before)).await.expect("down");
    assert_eq!(keys(&db).await.len(), 2, "the users stay");
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(verified(&db).await.len(), 2);
}

/// A user `name` (`name@example.com`) with its case-folded keys, as every
/// row has had them since migration 000003.
async fn insert_keyed_user(db: &DatabaseConnection, name: &str) {
    db.execute_unprepared(&format!(
        "INSERT INTO users (email, username, full_name, hashed_password, created_at, updated_at,
                            email_key, username_key)
         VALUES ('{name}@example.com', '{name}', 'Someone', 'x', '2025-01-01T00:00:00+00:00',
                 '2025-01-01T00:00:00+00:00', '{name}@example.com', '{name}')"
    ))
    .await
    .expect("insert a user with its keys");
}

#[tokio::test]
async fn the_outbox_refuses_an_unknown_status_and_a_token_an_unknown_kind() {
    let db = fresh_database().await;
    Migrator::up(&db, None).await.expect("up");
    insert_user(&db, "alice@example.com", "alice").await;

    let outbox = db
        .execute_unprepared(
            "INSERT INTO outbox (recipient, subject, text_body, html_body, status,
                                 next_attempt_at, created_at)
             VALUES ('a@example.com', 's', 't', 'h', 'lost',
                     '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')",
        )
        .await;
    assert!(outbox.is_err(), "status 'lost' was stored");
    let token = db
        .execute_unprepared(
            "INSERT INTO account_tokens (user_id, kind, token_hash, email, created_at, expires_at)
             VALUES (1, 'magic_link', 'hash', 'alice@example.com',
                     '2025-01-01T00:00:00+00:00', '2025-01-01T01:00:00+00:00')",
        )
        .await;
    assert!(token.is_err(), "kind 'magic_link' was stored");
}
