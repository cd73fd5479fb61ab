//! The locked migrators (`up_locked`, `down_locked`, `fresh_locked`,
//! `status_locked`) on SQLite files: concurrent migrators of one file take
//! turns and each migration is recorded once; and `schema_state`, which
//! tolerates a newer build's migrations.
//!
//! Each test uses its own file (several pools on one file are what several
//! instances are; an in-memory database cannot be shared that way). The
//! PostgreSQL advisory lock is tested through the application, several
//! instances starting at once on one fresh database: `http-actix`'s
//! `tests/api/instances.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use migration::{
    Migrator, MigratorTrait, SchemaManager, down_locked, fresh_locked, schema_state, status_locked,
    up_locked,
};
use sea_orm_migration::sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

const MIGRATORS: usize = 4;

/// A database file removed (with its WAL files) when dropped.
struct DatabaseFile(PathBuf);

impl DatabaseFile {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Self(std::env::temp_dir().join(format!(
            "migration-locked-{}-{nanos}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )))
    }

    /// A pool of its own on the file, set up as infra-sea's `connect` does
    /// (WAL, foreign keys, writers wait for the lock).
    async fn pool(&self) -> DatabaseConnection {
        let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", self.0.display()));
        options
            .max_connections(2)
            .min_connections(0)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    .journal_mode(SqliteJournalMode::Wal)
            });
        Database::connect(options)
            .await
            .expect("open the SQLite file")
    }
}

impl Drop for DatabaseFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Every recorded version with how often it is recorded.
async fn recorded_versions(db: &DatabaseConnection) -> Vec<(String, i64)> {
    db.query_all_raw(Statement::from_string(
        DbBackend::Sqlite,
        "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version ORDER BY version",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.try_get::<String>("", "version").unwrap(),
            row.try_get::<i64>("", "n").unwrap(),
        )
    })
    .collect()
}

fn every_version_once() -> Vec<(String, i64)> {
    Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), 1))
        .collect()
}

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db).has_table(table).await.unwrap()
}

/// Runs `MIGRATORS` locked `up`s on the file at once, each through a pool
/// of its own and spawned as its own task (on a multi-threaded runtime,
/// real contention), asserts that every one succeeded, and returns one of
/// the pools.
async fn migrate_concurrently(file: &DatabaseFile) -> DatabaseConnection {
    let mut pools = Vec::new();
    for _ in 0..MIGRATORS {
        pools.push(file.pool().await);
    }
    let handles: Vec<_> = pools
        .iter()
        .cloned()
        .map(|db| tokio::spawn(async move { up_locked(&db, None).await }))
        .collect();
    for handle in handles {
        handle.await.unwrap().expect("every migrator succeeds");
    }
    pools.swap_remove(0)
}

#[tokio::test]
async fn concurrent_locked_migrators_of_one_file_all_succeed_and_apply_each_migration_once() {
    let file = DatabaseFile::new();
    let db = migrate_concurrently(&file).await;
    assert_eq!(recorded_versions(&db).await, every_version_once());
    assert!(
        Migrator::get_pending_migrations_read_only(&db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_locked_migrators_on_a_multi_threaded_runtime_apply_each_migration_once() {
    let file = DatabaseFile::new();
    let db = migrate_concurrently(&file).await;
    assert_eq!(recorded_versions(&db).await, every_version_once());
}

#[tokio::test]
async fn a_second_locked_up_finds_nothing_to_do() {
    let file = DatabaseFile::new();
    let db = file.pool().await;
    up_locked(&db, None).await.unwrap();
    up_locked(&db, None).await.unwrap();
    assert_eq!(recorded_versions(&db).await, every_version_once());
}

#[tokio::test]
async fn locked_up_by_steps_then_down_fresh_and_status() {
    let file = DatabaseFile::new();
    let db = file.pool().await;

    up_locked(&db, Some(1)).await.unwrap();
    assert!(has_table(&db, "users").await);
    assert!(!has_table(&db, "sessions").await);
    up_locked(&db, None).await.unwrap();
    assert!(has_table(&db, "sessions").await);

    // Down to the first migration: every later one is undone.
    let later = u32::try_from(migration::Migrator::migrations().len() - 1).unwrap();
    down_locked(&db, Some(later)).await.unwrap();
    assert!(has_table(&db, "users").await);
    assert!(!has_table(&db, "sessions").await);

    db.execute_unprepared(
        "INSERT INTO users (email, username, full_name, hashed_password, created_at, updated_at)
         VALUES ('a@example.com', 'alice', 'Alice', 'x', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')",
    )
    .await
    .unwrap();
    fresh_locked(&db).await.unwrap();
    assert_eq!(recorded_versions(&db).await, every_version_once());
    let users = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(users, 0, "fresh starts from empty tables");

    status_locked(&db).await.unwrap();
    down_locked(&db, None).await.unwrap();
    assert!(!has_table(&db, "users").await);
    assert_eq!(recorded_versions(&db).await, Vec::new());
}

#[tokio::test]
async fn schema_state_of_an_empty_database_is_all_pending_and_creates_nothing() {
    let file = DatabaseFile::new();
    let db = file.pool().await;
    let state = schema_state(&db).await.unwrap();
    let all: Vec<String> = every_version_once().into_iter().map(|(v, _)| v).collect();
    assert_eq!(state.pending, all);
    assert!(state.unknown.is_empty());
    assert!(!has_table(&db, "seaql_migrations").await);
}

#[tokio::test]
async fn a_newer_builds_migration_is_set_apart_and_locked_up_still_succeeds() {
    const NEWER: &str = "m29991231_000001_added_by_a_newer_build";
    let file = DatabaseFile::new();
    let db = file.pool().await;
    up_locked(&db, None).await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{NEWER}', 0)"
    ))
    .await
    .unwrap();

    let state = schema_state(&db).await.unwrap();
    assert!(state.pending.is_empty(), "{state:?}");
    assert_eq!(state.unknown, [NEWER]);
    // sea-orm-migration's own reading refuses this state; the locked `up`
    // of this (older) build has nothing to do and says so with Ok.
    assert!(
        Migrator::get_pending_migrations_read_only(&db)
            .await
            .is_err()
    );
    up_locked(&db, None).await.unwrap();
    let mut expected = every_version_once();
    expected.push((NEWER.to_owned(), 1));
    assert_eq!(recorded_versions(&db).await, expected);
}
