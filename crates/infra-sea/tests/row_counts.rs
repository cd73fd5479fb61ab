//! The counters the database keeps so that a list's `total` costs one row
//! (`todo_counts`, `user_count`; migration `m20250401_000004_row_counts`):
//! exact after every write, the service's or anyone's in SQL, under
//! concurrent writers, and after the migration backfills existing data. On
//! the configured test database (PostgreSQL with `TEST_DATABASE_URL`), and
//! on SQLite always.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use chrono::TimeDelta;
use domain::ports::{TodoRepository, UserRepository};
use domain::{PageRequest, TodoChanges, TodoFilter, TodoPatch};
use infra_sea::testing::TestDatabase;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use support::BASE;

/// `(user_id, total, completed)` of every counter row that counts something,
/// by user.
async fn counters(db: &DatabaseConnection) -> Vec<(i64, i64, i64)> {
    rows(
        db,
        "SELECT user_id, total, completed FROM todo_counts WHERE total <> 0 ORDER BY user_id",
    )
    .await
}

/// The same numbers, counted from the rows themselves.
async fn counted(db: &DatabaseConnection) -> Vec<(i64, i64, i64)> {
    rows(
        db,
        "SELECT user_id, COUNT(*), SUM(CASE WHEN is_completed THEN 1 ELSE 0 END) \
         FROM todos GROUP BY user_id ORDER BY user_id",
    )
    .await
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<(i64, i64, i64)> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get_by_index::<i64>(0).unwrap(),
                row.try_get_by_index::<i64>(1).unwrap(),
                row.try_get_by_index::<i64>(2).unwrap(),
            )
        })
        .collect()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Every counter equals the count of the rows, and none went negative.
async fn assert_exact(db: &DatabaseConnection, when: &str) {
    assert_eq!(
        counters(db).await,
        counted(db).await,
        "todo counters {when}"
    );
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM todo_counts WHERE total < 0 OR completed < 0"
        )
        .await,
        0,
        "no negative counter {when}"
    );
    assert_eq!(
        scalar(db, "SELECT total FROM user_count").await,
        scalar(db, "SELECT COUNT(*) FROM users").await,
        "user counter {when}"
    );
}

fn insert_todos(user: i64, completed: &[bool]) -> String {
    let values: Vec<String> = completed
        .iter()
        .enumerate()
        .map(|(i, done)| {
            format!(
                "('imported {i}', 'low', {}, {user}, '2025-06-01T12:00:00+00:00', \
                 '2025-06-01T12:00:00+00:00')",
                if *done { "TRUE" } else { "FALSE" }
            )
        })
        .collect();
    format!(
        "INSERT INTO todos (title, priority, is_completed, user_id, created_at, updated_at) \
         VALUES {}",
        values.join(", ")
    )
}

async fn counters_follow_every_write_made_in_sql(db: TestDatabase) {
    let conn = db.connection();
    let users = support::users(&db);
    let alice = support::create_user(&users, "alice").await.id.0;
    let bob = support::create_user(&users, "bob").await.id.0;
    assert_exact(conn, "after two registrations").await;

    execute(conn, &insert_todos(alice, &[false, false, true, false])).await;
    execute(conn, &insert_todos(bob, &[true, true])).await;
    assert_exact(conn, "after bulk inserts").await;
    assert_eq!(counters(conn).await, [(alice, 4, 1), (bob, 2, 2)]);

    execute(
        conn,
        &format!("UPDATE todos SET is_completed = TRUE WHERE user_id = {alice}"),
    )
    .await;
    assert_exact(conn, "after completing all of alice's").await;
    execute(
        conn,
        &format!("UPDATE todos SET title = 'renamed' WHERE user_id = {bob}"),
    )
    .await;
    assert_exact(conn, "after an update that moves no counter").await;

    // Two of alice's todos move to bob, the second reopened on the way.
    let first = scalar(
        conn,
        &format!("SELECT MIN(id) FROM todos WHERE user_id = {alice}"),
    )
    .await;
    let second = scalar(
        conn,
        &format!("SELECT MIN(id) FROM todos WHERE user_id = {alice} AND id > {first}"),
    )
    .await;
    execute(
        conn,
        &format!(
            "UPDATE todos SET user_id = {bob}, \
             is_completed = CASE WHEN id = {first} THEN TRUE ELSE FALSE END \
             WHERE id IN ({first}, {second})"
        ),
    )
    .await;
    assert_exact(conn, "after moving todos between users").await;
    assert_eq!(counters(conn).await, [(alice, 2, 2), (bob, 4, 3)]);

    execute(
        conn,
        &format!("DELETE FROM todos WHERE user_id = {alice} AND is_completed"),
    )
    .await;
    assert_exact(conn, "after deleting all of alice's").await;
    assert_eq!(counters(conn).await, [(bob, 4, 3)]);

    assert!(users.delete(domain::UserId(bob)).await.unwrap());
    assert_exact(conn, "after deleting bob and, by cascade, his todos").await;
    assert_eq!(
        scalar(
            conn,
            &format!("SELECT COUNT(*) FROM todo_counts WHERE user_id = {bob}")
        )
        .await,
        0,
        "a deleted user's counter goes with them"
    );
}

#[tokio::test]
async fn counters_follow_every_write_made_in_sql_on_the_configured_database() {
    counters_follow_every_write_made_in_sql(support::database().await).await;
}

#[tokio::test]
async fn counters_follow_every_write_made_in_sql_on_sqlite() {
    counters_follow_every_write_made_in_sql(TestDatabase::sqlite().await.unwrap()).await;
}

/// The totals the lists answer are the counters, not a count of the rows:
/// a counter set by hand shows through (which also shows the list does not
/// read every row to answer its total).
#[tokio::test]
async fn the_lists_answer_the_counters() {
    let db = support::database().await;
    let conn = db.connection();
    let (alice, caller) = support::signed_in(&db, "alice").await;
    let todos = support::todos(&db);
    for title in ["one", "two", "three"] {
        support::create_todo(&todos, caller, title).await;
    }
    // One of them completed: every filter below has a row on its first page.
    let one = support::create_todo(&todos, caller, "four").await;
    let done = TodoChanges {
        patch: TodoPatch {
            is_completed: Some(true),
            ..TodoPatch::default()
        },
        updated_at: BASE + TimeDelta::seconds(1),
    };
    todos.update(one.id, done, caller).await.unwrap().unwrap();
    execute(
        conn,
        &format!(
            "UPDATE todo_counts SET total = total + 1000, completed = completed + 10 \
             WHERE user_id = {}",
            alice.id.0
        ),
    )
    .await;
    execute(conn, "UPDATE user_count SET total = total + 500").await;

    let page = PageRequest::new(1, 2).unwrap();
    for (completed, expected) in [(None, 1004), (Some(true), 11), (Some(false), 993)] {
        let listed = todos
            .list_owned(caller, TodoFilter { completed }, page.into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(listed.total, expected, "completed = {completed:?}");
    }
    let far = PageRequest::new(50, 2).unwrap();
    let past_the_end = todos
        .list_owned(caller, TodoFilter::default(), far.into())
        .await
        .unwrap()
        .unwrap();
    assert!(past_the_end.items.is_empty());
    assert_eq!(
        past_the_end.total, 1004,
        "an empty page past the end reads the counter too"
    );

    let users = support::users(&db);
    assert_eq!(users.list(page.into()).await.unwrap().total, 501);
}

/// Many writers at once, creating, completing, reopening and deleting the
/// todos of two users: no count is lost.
#[tokio::test]
async fn concurrent_writers_never_lose_a_count() {
    let db = support::database().await;
    let (_, alice) = support::signed_in(&db, "alice").await;
    let (_, bob) = support::signed_in(&db, "bob").await;
    let todos = Arc::new(support::todos(&db));
    let mut tasks = Vec::new();
    for worker in 0..8_i64 {
        let todos = Arc::clone(&todos);
        let caller = if worker % 2 == 0 { alice } else { bob };
        tasks.push(tokio::spawn(async move {
            for round in 0..12_i64 {
                let todo =
                    support::create_todo(&todos, caller, &format!("w{worker} r{round}")).await;
                let changes = |step: i64, done: bool| TodoChanges {
                    patch: TodoPatch {
                        is_completed: Some(done),
                        ..TodoPatch::default()
                    },
                    updated_at: BASE + TimeDelta::microseconds(step),
                };
                todos
                    .update(todo.id, changes(1, true), caller)
                    .await
                    .unwrap();
                if round % 3 == 0 {
                    todos
                        .update(todo.id, changes(2, false), caller)
                        .await
                        .unwrap();
                }
                if round % 2 == 0 {
                    assert!(todos.delete(todo.id, caller).await.unwrap());
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let conn = db.connection();
    assert_exact(conn, "after the concurrent writers").await;
    // 8 workers x 12 rounds, half deleted: 48 left, 24 per user; of those
    // (odd rounds: 1, 3, 5, 7, 9, 11) rounds 3 and 9 were reopened.
    let expected = |user: domain::UserId| (user.0, 24, 16);
    assert_eq!(
        counters(conn).await,
        [expected(alice.user), expected(bob.user)]
    );
}

/// The migration counts what is already there.
#[tokio::test]
async fn the_migration_backfills_the_counters() {
    let db = TestDatabase::unmigrated().await.unwrap();
    let conn = db.connection();
    // Up to the sessions migration: the data of a database made before the
    // counters (and before any migration after that one).
    let sessions = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20250201_000002_sessions_and_login_attempts")
        .expect("the sessions migration is listed");
    Migrator::up(conn, Some(u32::try_from(sessions + 1).unwrap()))
        .await
        .unwrap();
    let user = |name: &str| {
        format!(
            "INSERT INTO users (email, username, full_name, hashed_password, created_at, \
             updated_at) VALUES ('{name}@example.com', '{name}', '{name}', 'x', \
             '2025-06-01T12:00:00+00:00', '2025-06-01T12:00:00+00:00')"
        )
    };
    for name in ["alice", "bob", "carol"] {
        execute(conn, &user(name)).await;
    }
    let id = |name: &str| format!("(SELECT id FROM users WHERE username = '{name}')");
    let alice = scalar(conn, &format!("SELECT {}", id("alice"))).await;
    let bob = scalar(conn, &format!("SELECT {}", id("bob"))).await;
    execute(conn, &insert_todos(alice, &[true, false, false])).await;
    execute(conn, &insert_todos(bob, &[true])).await;

    Migrator::up(conn, None).await.unwrap();

    assert_exact(conn, "after the backfill").await;
    assert_eq!(counters(conn).await, [(alice, 3, 1), (bob, 1, 1)]);
    assert_eq!(scalar(conn, "SELECT total FROM user_count").await, 3);
}
