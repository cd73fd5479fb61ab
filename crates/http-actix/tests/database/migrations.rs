//! Migrations at start-up, which only a database has: instances starting
//! together with `AUTO_MIGRATE=true` take turns (the migration lock), and an
//! older build keeps serving after a newer one migrated.

use std::sync::Arc;

use infra_sea::testing::TestDatabase;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::{Store, TestApp, json_of};

/// How many instances start at once on one empty database.
const STARTING_AT_ONCE: usize = 4;

/// Every version recorded in `seaql_migrations`, with how often.
async fn recorded_versions(db: &DatabaseConnection) -> Vec<(String, i64)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version ORDER BY version",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "version").unwrap(),
                row.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect()
}

/// The migration lock (`migration::up_locked`): instances starting together
/// with `AUTO_MIGRATE=true` on one empty database take turns migrating.
/// Without the lock this fails on PostgreSQL: two migrators both find the
/// first migration pending and the loser's `CREATE TABLE` (or the concurrent
/// `CREATE TABLE IF NOT EXISTS seaql_migrations`) errors, so its
/// start-up (`startup::sea_storage::open`) fails.
#[tokio::test]
async fn instances_started_at_once_on_an_unmigrated_database_all_come_up_and_migrate_once() {
    let db = Arc::new(
        TestDatabase::unmigrated()
            .await
            .expect("an empty test database"),
    );
    let apps = TestApp::spawn_many_on(
        Store::Database(db.clone()),
        STARTING_AT_ONCE,
        &[("AUTO_MIGRATE", "true")],
    )
    .await;

    let expected: Vec<(String, i64)> = Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), 1))
        .collect();
    assert_eq!(recorded_versions(db.connection()).await, expected);
    for app in &apps {
        let ready = json_of(app.get("/v1/health/ready", None).await, 200).await;
        assert_eq!(ready["status"], "ready");
    }
    // One schema, shared: what one instance writes, the others read.
    let first = &apps[0];
    let last = &apps[STARTING_AT_ONCE - 1];
    first.register("alice").await;
    let (access, _) = last.pair_for("alice").await;
    json_of(first.get("/v1/auth/me", Some(&access)).await, 200).await;
}

/// A migration this build does not know, as a newer build records it.
const NEWER_MIGRATION: &str = "m29991231_000001_added_by_a_newer_build";

/// A rolling deploy: a newer build has applied its (expand-only) migration to
/// the shared database while instances of this build still serve. They stay
/// ready, and one of them restarting (or a rollback to this build) starts,
/// with or without `AUTO_MIGRATE`; this build's own migrations are all
/// there, which is all it needs.
#[tokio::test]
async fn instances_of_an_older_build_stay_ready_and_start_after_a_newer_build_migrated() {
    let old = TestApp::spawn_on(Store::database().await, &[]).await;
    let conn = old.store.database_handle().connection();
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{NEWER_MIGRATION}', 0)"
        ),
    ))
    .await
    .unwrap();

    let ready = json_of(old.get("/v1/health/ready", None).await, 200).await;
    assert_eq!(ready["status"], "ready");
    let restarted = old.spawn_beside(&[("AUTO_MIGRATE", "false")]).await;
    json_of(restarted.get("/v1/health/ready", None).await, 200).await;
    let migrating = old.spawn_beside(&[("AUTO_MIGRATE", "true")]).await;
    json_of(migrating.get("/v1/health/ready", None).await, 200).await;
    // Nothing was applied or removed on the newer build's behalf.
    let mut expected: Vec<(String, i64)> = Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), 1))
        .collect();
    expected.push((NEWER_MIGRATION.to_owned(), 1));
    assert_eq!(recorded_versions(conn).await, expected);
}
