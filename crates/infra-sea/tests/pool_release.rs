//! What a pooled PostgreSQL connection is in when the pool hands it out
//! again. The vendored sqlx (`vendor/README.md`) returns a connection the
//! driver knows to be idle without a test round trip; every other connection
//! is still tested (and flushed) first. These tests hold the pool to that:
//! an abandoned query, a dropped transaction and a killed server process
//! must never reach the next borrower. Each pool has one connection, so the
//! next query gets the very connection the previous one left behind. SQLite
//! is not affected by the change; there the tests say so and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use infra_sea::testing::TestDatabase;
use infra_sea::{DatabaseSettings, connect};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use support::{create_todo, database, signed_in, todos};

/// A fresh test database on PostgreSQL, or `None` (with a note) elsewhere.
async fn postgres() -> Option<TestDatabase> {
    let db = database().await;
    if db.backend_name() == "PostgreSQL" {
        Some(db)
    } else {
        eprintln!(
            "the release path under test is PostgreSQL's; skipped on {}",
            db.backend_name()
        );
        None
    }
}

/// A pool of exactly one connection to `db`.
async fn one_connection(db: &TestDatabase) -> DatabaseConnection {
    connect(&DatabaseSettings {
        url: db.url().to_owned(),
        max_connections: 1,
        min_connections: 0,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: None,
        log_statements: false,
    })
    .await
    .unwrap()
}

async fn number(pool: &DatabaseConnection, sql: &str) -> Result<i32, sea_orm::DbErr> {
    let row = pool
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .expect("a row");
    row.try_get("", "n")
}

#[tokio::test]
async fn a_query_abandoned_half_way_leaves_nothing_for_the_next_borrower() {
    let Some(db) = postgres().await else { return };
    let pool = one_connection(&db).await;
    assert_eq!(number(&pool, "SELECT 1 AS n").await.unwrap(), 1);

    // Sent, then dropped before the server answers (as when a client
    // disconnects and actix drops the handler): its answer, 7, arrives
    // after the future is gone. (A second of sleep leaves a busy test
    // machine plenty of margin over the 30 ms.)
    let abandoned = tokio::time::timeout(
        Duration::from_millis(30),
        number(&pool, "SELECT 7 AS n FROM pg_sleep(1)"),
    )
    .await;
    assert!(
        abandoned.is_err(),
        "the query should still have been running"
    );

    // And one dropped while its rows stream in.
    let streaming = tokio::time::timeout(
        Duration::from_millis(5),
        pool.query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT g AS n FROM generate_series(1, 2000000) AS g",
        )),
    )
    .await;
    assert!(streaming.is_err(), "two million rows took under 5 ms");

    // (sqlx also drains a connection before each query, so this holds with
    // or without the release test; it is the case the test exists for.)
    for expected in [42, 43, 44] {
        let sql = format!("SELECT {expected} AS n");
        assert_eq!(number(&pool, &sql).await.unwrap(), expected);
    }
}

#[tokio::test]
async fn a_dropped_transaction_is_rolled_back_before_its_connection_idles() {
    let Some(db) = postgres().await else { return };
    let (_, alice_in) = signed_in(&db, "alice").await;
    let todo = create_todo(&todos(&db), alice_in, "locked").await;
    let pool = one_connection(&db).await;

    let tx = pool.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "UPDATE todos SET title = 'changed' WHERE id = {}",
        todo.id.0
    ))
    .await
    .unwrap();
    // Neither committed nor rolled back: sqlx queues a ROLLBACK, which must
    // reach the server now, not whenever the pool lends the connection out
    // again (this pool is not used again below).
    drop(tx);

    // Another connection can take the row's lock, and sees no change.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let other = db.connection().begin().await.unwrap();
        let locked = other
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT title FROM todos WHERE id = {} FOR UPDATE NOWAIT",
                    todo.id.0
                ),
            ))
            .await;
        match locked {
            Ok(row) => {
                let title: String = row.expect("the todo").try_get("", "title").unwrap();
                assert_eq!(title, "locked");
                other.rollback().await.unwrap();
                break;
            }
            Err(e) => {
                other.rollback().await.unwrap();
                assert!(
                    Instant::now() < deadline,
                    "the dropped transaction still holds its lock after 5 s: {e}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    drop(pool);
}

#[tokio::test]
async fn a_connection_whose_server_process_died_is_not_lent_out_again() {
    let Some(db) = postgres().await else { return };
    let pool = one_connection(&db).await;
    let pid = number(&pool, "SELECT pg_backend_pid() AS n").await.unwrap();

    // The server process behind the pooled (idle) connection goes away.
    let terminated = db
        .connection()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_terminate_backend({pid}) AS gone"),
        ))
        .await
        .unwrap()
        .expect("a row")
        .try_get::<bool>("", "gone")
        .unwrap();
    assert!(terminated);

    // The first query may fail on the dead connection (it was idle for less
    // than the pool's test-before-use interval); it must be the only one.
    let _ = number(&pool, "SELECT 1 AS n").await;
    for expected in [2, 3] {
        let sql = format!("SELECT {expected} AS n");
        assert_eq!(number(&pool, &sql).await.unwrap(), expected);
    }
    let new_pid = number(&pool, "SELECT pg_backend_pid() AS n").await.unwrap();
    assert_ne!(new_pid, pid);
}
