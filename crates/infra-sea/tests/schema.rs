//! The migrations, the connection settings and the schema status against
//! migrating. (The probe's and the schema status's answers on a migrated
//! store are the port contract's, `contract.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use domain::ports::{SchemaStatus, UserRepository};
use infra_sea::{DatabaseSettings, SeaSchemaStatus, connect, run_migrations};
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use support::database;

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db).has_table(table).await.unwrap()
}

const FIRST_SCHEMA: &[&str] = &["users", "todos"];
const SESSIONS_SCHEMA: &[&str] = &["sessions", "refresh_tokens", "login_attempts"];
const ACCOUNT_SCHEMA: &[&str] = &["account_tokens", "outbox"];
const MFA_SCHEMA: &[&str] = &["totp_factors", "recovery_codes"];

async fn assert_tables(db: &DatabaseConnection, tables: &[&str], present: bool) {
    for table in tables {
        assert_eq!(has_table(db, table).await, present, "table {table}");
    }
}

fn sqlite_settings(url: String) -> DatabaseSettings {
    DatabaseSettings {
        url,
        max_connections: 2,
        min_connections: 0,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: None,
        log_statements: false,
    }
}

#[tokio::test]
async fn migrations_go_down_and_up_again_on_a_fresh_database() {
    let db = database().await;
    let conn = db.connection();
    assert_tables(conn, FIRST_SCHEMA, true).await;
    assert_tables(conn, SESSIONS_SCHEMA, true).await;
    assert_tables(conn, ACCOUNT_SCHEMA, true).await;
    assert_tables(conn, MFA_SCHEMA, true).await;

    Migrator::down(conn, None).await.unwrap();
    assert_tables(conn, FIRST_SCHEMA, false).await;
    assert_tables(conn, SESSIONS_SCHEMA, false).await;
    assert_tables(conn, ACCOUNT_SCHEMA, false).await;
    assert_tables(conn, MFA_SCHEMA, false).await;

    Migrator::up(conn, None).await.unwrap();
    assert_tables(conn, FIRST_SCHEMA, true).await;
    assert_tables(conn, SESSIONS_SCHEMA, true).await;
    assert_tables(conn, ACCOUNT_SCHEMA, true).await;
    assert_tables(conn, MFA_SCHEMA, true).await;
    // Applying again is a no-op.
    run_migrations(conn).await.unwrap();
}

#[tokio::test]
async fn down_of_the_sessions_migration_keeps_the_first_schema_and_its_data() {
    let db = database().await;
    let conn = db.connection();
    let alice = support::create_user(&support::users(&db), "alice").await;
    support::create_session(&support::sessions(&db), alice.id, "first").await;

    // Undo the sessions migration and every one after it.
    let migrations = Migrator::migrations();
    let sessions = migrations
        .iter()
        .position(|m| m.name() == "m20250201_000002_sessions_and_login_attempts")
        .unwrap();
    let steps = u32::try_from(migrations.len() - sessions).unwrap();
    Migrator::down(conn, Some(steps)).await.unwrap();
    assert_tables(conn, FIRST_SCHEMA, true).await;
    assert_tables(conn, SESSIONS_SCHEMA, false).await;
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT email, username FROM users",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "email").unwrap(),
        alice.email.as_str()
    );

    Migrator::up(conn, None).await.unwrap();
    assert_tables(conn, SESSIONS_SCHEMA, true).await;
    let users = support::users(&db);
    assert_eq!(users.find_by_id(alice.id).await.unwrap(), Some(alice));
}

/// Inserts users as the schema before the case-folded keys had them.
async fn insert_users_without_keys(db: &DatabaseConnection, emails_and_usernames: &[(&str, &str)]) {
    for (email, username) in emails_and_usernames {
        db.execute_unprepared(&format!(
            "INSERT INTO users (email, username, full_name, hashed_password, created_at, updated_at)
             VALUES ('{email}', '{username}', 'Someone', 'x',
                     '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')"
        ))
        .await
        .unwrap();
    }
}

const KEYS_MIGRATION: &str = "m20250301_000003_case_folded_user_keys";

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

#[tokio::test]
async fn the_keys_migration_fills_in_the_keys_of_the_users_already_there() {
    let db = database().await;
    let conn = db.connection();
    Migrator::down(conn, Some(steps_to_undo(KEYS_MIGRATION)))
        .await
        .unwrap();
    insert_users_without_keys(
        conn,
        &[
            ("Émile.Zoë@Example.org", "Emile"),
            ("bob@example.com", "BOB"),
        ],
    )
    .await;

    Migrator::up(conn, None).await.unwrap();

    let users = support::users(&db);
    for (login, username) in [
        ("émile.zoë@example.org", "Emile"),
        ("ÉMILE.ZOË@EXAMPLE.ORG", "Emile"),
        ("emile", "Emile"),
        ("Bob", "BOB"),
    ] {
        let found = users.find_by_login(login).await.unwrap();
        assert_eq!(
            found.map(|u| u.username.as_str().to_owned()).as_deref(),
            Some(username),
            "{login}"
        );
    }
    // And the new indexes hold them unique.
    let taken = users
        .create(domain::NewUser {
            email: domain::Email::parse("ÉMILE.zoë@example.org").unwrap(),
            ..support::new_user("someone")
        })
        .await;
    assert!(
        matches!(
            taken,
            Err(domain::RepositoryError::Conflict(
                domain::ConflictField::Email
            ))
        ),
        "{taken:?}"
    );
}

#[tokio::test]
async fn the_keys_migration_refuses_users_that_are_one_ignoring_case_and_changes_nothing() {
    let db = database().await;
    let conn = db.connection();
    Migrator::down(conn, Some(steps_to_undo(KEYS_MIGRATION)))
        .await
        .unwrap();
    // Different under every `lower()` (PostgreSQL's makes `İ` an `i`, SQLite's
    // leaves it), one under `fold_case` (`i̇` both).
    insert_users_without_keys(
        conn,
        &[
            ("İnci@example.org", "inci"),
            ("bob@example.com", "bob"),
            ("i\u{307}nci@example.org", "inci_2"),
        ],
    )
    .await;

    let err = Migrator::up(conn, None).await.unwrap_err();

    let message = err.to_string();
    assert!(message.contains(KEYS_MIGRATION), "{message}");
    assert!(
        message.contains("users 1, 3 have the same email ignoring case"),
        "{message}"
    );
    assert!(message.contains("run the migration again"), "{message}");
    assert!(!message.contains("nci@"), "no addresses in logs: {message}");
    // Nothing was applied: the migration is still pending, the rows as they were.
    let status = SeaSchemaStatus::new(conn.clone());
    assert_eq!(
        status.pending_migrations().await.unwrap(),
        usize::try_from(steps_to_undo(KEYS_MIGRATION)).unwrap()
    );
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT * FROM users ORDER BY id",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].try_get::<String>("", "email_key").is_err());

    // Once the operator has told the two apart, it applies.
    conn.execute_unprepared("UPDATE users SET email = 'inci.2@example.org' WHERE id = 3")
        .await
        .unwrap();
    Migrator::up(conn, None).await.unwrap();
    assert_eq!(status.pending_migrations().await.unwrap(), 0);
}

#[tokio::test]
async fn the_keys_migration_goes_down_to_the_lower_indexes() {
    let db = database().await;
    let conn = db.connection();
    let users = support::users(&db);
    support::create_user(&users, "alice").await;

    Migrator::down(conn, Some(steps_to_undo(KEYS_MIGRATION)))
        .await
        .unwrap();

    // The lower() index is back.
    let err = conn
        .execute_unprepared(
            "INSERT INTO users (email, username, full_name, hashed_password, created_at, updated_at)
             VALUES ('ALICE@example.com', 'other', 'x', 'x',
                     '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')",
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("users_email_lower_key"), "{err}");
    Migrator::up(conn, None).await.unwrap();
    assert!(users.find_by_login("Alice").await.unwrap().is_some());
}

#[tokio::test]
async fn schema_status_counts_the_migrations_not_applied() {
    let db = database().await;
    let conn = db.connection();
    let status = SeaSchemaStatus::new(conn.clone());
    assert_eq!(status.pending_migrations().await.unwrap(), 0);

    Migrator::down(conn, Some(1)).await.unwrap();
    assert_eq!(status.pending_migrations().await.unwrap(), 1);

    Migrator::down(conn, None).await.unwrap();
    assert_eq!(
        status.pending_migrations().await.unwrap(),
        Migrator::migrations().len()
    );
}

#[tokio::test]
async fn schema_status_never_creates_the_migrations_table() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("empty.db").display()
    );
    let conn = connect(&sqlite_settings(url)).await.unwrap();

    let pending = SeaSchemaStatus::new(conn.clone())
        .pending_migrations()
        .await
        .unwrap();

    assert_eq!(pending, Migrator::migrations().len());
    assert!(!has_table(&conn, "seaql_migrations").await);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn connect_creates_the_missing_sqlite_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data").join("nested").join("app.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());

    let conn = connect(&sqlite_settings(url)).await.unwrap();
    run_migrations(&conn).await.unwrap();

    assert!(file.exists());
    assert_tables(&conn, FIRST_SCHEMA, true).await;
    assert_tables(&conn, SESSIONS_SCHEMA, true).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn connect_turns_sqlite_foreign_keys_on() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("fk.db").display());
    let conn = connect(&sqlite_settings(url)).await.unwrap();

    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA foreign_keys",
        ))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 1);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn connect_refuses_an_unknown_url_scheme_without_echoing_it() {
    let err = connect(&sqlite_settings("mysql://root:hunter2@db/app".to_owned()))
        .await
        .unwrap_err();
    assert!(!format!("{err:#}").contains("hunter2"), "{err:#}");
}

#[tokio::test]
async fn test_databases_are_independent() {
    let one = database().await;
    let two = database().await;
    assert_ne!(one.url(), two.url());
    support::create_user(&support::users(&one), "alice").await;

    // The same user in the other database is no conflict.
    support::create_user(&support::users(&two), "alice").await;
}

fn postgres_settings(url: String) -> DatabaseSettings {
    DatabaseSettings {
        acquire_timeout: Duration::from_secs(2),
        ..sqlite_settings(url)
    }
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_refused_postgres_connection_names_the_server_and_what_to_do_never_the_password() {
    let port = closed_port();
    let url = format!("postgres://app:hunter2@127.0.0.1:{port}/appdb");
    let message = format!("{:#}", connect(&postgres_settings(url)).await.unwrap_err());
    assert!(
        message.contains(&format!("PostgreSQL at 127.0.0.1:{port}")),
        "{message}"
    );
    assert!(
        message.contains("database \"appdb\", user \"app\""),
        "{message}"
    );
    assert!(message.contains("refused"), "{message}");
    assert!(message.contains("Is PostgreSQL running"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    // Said once, not once per layer of wrapping.
    assert_eq!(message.matches("refused").count(), 1, "{message}");
}

#[tokio::test]
async fn a_missing_postgres_database_or_role_is_named_with_the_next_step() {
    let db = database().await;
    if db.backend_name() != "PostgreSQL" {
        eprintln!("skipped here: needs PostgreSQL (runs in the PostgreSQL pass of .ci/run)");
        return;
    }
    let (server, _) = db.url().rsplit_once('/').unwrap();
    let missing_db = format!("{server}/no_such_database_{}", std::process::id());
    let message = format!(
        "{:#}",
        connect(&postgres_settings(missing_db)).await.unwrap_err()
    );
    assert!(message.contains("does not exist"), "{message}");
    assert!(message.contains("createdb"), "{message}");

    let (scheme, rest) = server.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let missing_role = format!(
        "{scheme}://no_such_role_{}@{host}/postgres",
        std::process::id()
    );
    let message = format!(
        "{:#}",
        connect(&postgres_settings(missing_role)).await.unwrap_err()
    );
    assert!(message.contains("role"), "{message}");
    assert!(message.contains("Use a role that exists"), "{message}");
}

#[tokio::test]
async fn a_sqlite_url_without_a_mode_creates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new/app.db");
    let url = format!("sqlite://{}", file.display());
    let conn = connect(&sqlite_settings(url)).await.unwrap();
    run_migrations(&conn).await.unwrap();
    assert!(file.exists());
}

#[tokio::test]
async fn a_sqlite_file_that_cannot_be_opened_is_named_with_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("absent.db");
    // Read-only: a missing file is not created.
    let url = format!("sqlite://{}?mode=ro", file.display());
    let message = format!("{:#}", connect(&sqlite_settings(url)).await.unwrap_err());
    assert!(
        message.contains(&format!(
            "cannot open the SQLite database {}",
            file.display()
        )),
        "{message}"
    );
    assert!(message.contains("mode"), "{message}");
    assert!(!file.exists());
}
