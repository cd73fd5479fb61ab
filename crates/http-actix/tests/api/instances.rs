//! Two instances of the application on one database, as two replicas
//! behind a load balancer: whatever one decides about a session, the other
//! applies on the very next request.

use std::sync::Arc;

use futures_util::future::join_all;
use infra_sea::testing::TestDatabase;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_unauthorized, id_of, json_of, tokens_of};

/// How many instances start at once on one empty database.
const STARTING_AT_ONCE: usize = 4;

#[tokio::test]
async fn a_token_from_one_instance_works_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    a.register("alice").await;
    let (access, refresh) = a.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    let pair = json_of(b.refresh(&refresh).await, 200).await;
    json_of(a.get("/v1/auth/me", Some(&tokens_of(&pair).0)).await, 200).await;
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_on_the_other_at_once() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    a.register("alice").await;
    let (access, refresh) = a.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    assert_eq!(a.post("/v1/auth/logout", Some(&access)).await.status(), 204);
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(b.refresh(&refresh).await).await;
}

#[tokio::test]
async fn a_password_change_on_one_instance_ends_the_other_sessions_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    a.register("alice").await;
    let (access, _) = a.pair_for("alice").await;
    let (other_access, other_refresh) = b.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&other_access)).await, 200).await;
    let response = a
        .post_json(
            "/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
            Some(&access),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(b.get("/v1/auth/me", Some(&other_access)).await).await;
    assert_unauthorized(b.refresh(&other_refresh).await).await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    assert_unauthorized(b.login("alice", PASSWORD).await).await;
}

#[tokio::test]
async fn a_deactivation_on_one_instance_is_refused_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    let (_, admin) = a.admin("root").await;
    let alice = a.register("alice").await;
    let (access, refresh) = b.pair_for("alice").await;
    let response = a
        .patch_json(
            &format!("/v1/users/{}", id_of(&alice)),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(b.refresh(&refresh).await).await;
}

#[tokio::test]
async fn a_user_deleted_on_one_instance_is_refused_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    let (_, admin) = a.admin("root").await;
    let alice = a.register("alice").await;
    let (access, refresh) = b.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    let response = a
        .delete(&format!("/v1/users/{}", id_of(&alice)), Some(&admin))
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(b.refresh(&refresh).await).await;
    // A new account under the same name is another user: the old tokens do
    // not come back to life.
    b.register("alice").await;
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(a.refresh(&refresh).await).await;
}

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
/// `Application::build` fails.
#[tokio::test]
async fn instances_started_at_once_on_an_unmigrated_database_all_come_up_and_migrate_once() {
    let db = Arc::new(
        TestDatabase::unmigrated()
            .await
            .expect("an empty test database"),
    );
    let apps = join_all(
        (0..STARTING_AT_ONCE).map(|_| TestApp::spawn_on(db.clone(), &[("AUTO_MIGRATE", "true")])),
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
    let old = TestApp::spawn().await;
    let conn = old.db.connection();
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
