//! `DatabaseSettings::statement_timeout` on PostgreSQL: a statement stuck
//! behind a lock is cancelled after the timeout, reported as `Unavailable`
//! (a 503, not a 500), and its connection serves the next query. SQLite has
//! no statement timeout; there the test says so and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use domain::ports::TodoRepository;
use domain::{RepositoryError, TodoChanges, TodoPatch};
use infra_sea::{DatabaseSettings, SeaTodoRepository, connect};
use sea_orm::{ConnectionTrait, TransactionTrait};
use support::{create_todo, database, signed_in, todos};

const TIMEOUT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn a_statement_past_the_timeout_is_cancelled_as_unavailable_and_the_pool_recovers() {
    let db = database().await;
    if db.backend_name() != "PostgreSQL" {
        eprintln!(
            "statement_timeout is PostgreSQL's; skipped on {}",
            db.backend_name()
        );
        return;
    }
    let (_, alice_in) = signed_in(&db, "alice").await;
    let todo = create_todo(&todos(&db), alice_in, "locked").await;
    let limited = connect(&DatabaseSettings {
        url: db.url().to_owned(),
        max_connections: 1,
        min_connections: 0,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Some(TIMEOUT),
        log_statements: false,
    })
    .await
    .unwrap();
    let repo = SeaTodoRepository::new(limited.clone());

    // Another session holds the row lock the UPDATE needs.
    let holder = db.connection().begin().await.unwrap();
    holder
        .execute_unprepared(&format!(
            "SELECT id FROM todos WHERE id = {} FOR UPDATE",
            todo.id.0
        ))
        .await
        .unwrap();
    let started = Instant::now();
    // Bounded, so that a missing timeout fails the test instead of hanging it.
    let blocked = tokio::time::timeout(
        Duration::from_secs(5),
        repo.update(
            todo.id,
            TodoChanges {
                patch: TodoPatch {
                    is_completed: Some(true),
                    ..TodoPatch::default()
                },
                updated_at: domain::time::after(domain::time::SystemClock::now(), todo.updated_at),
            },
            alice_in,
        ),
    )
    .await
    .expect("the statement was not cancelled within 5 s");
    let waited = started.elapsed();
    holder.rollback().await.unwrap();

    assert!(
        matches!(blocked, Err(RepositoryError::Unavailable(_))),
        "{blocked:?}"
    );
    assert!(waited >= TIMEOUT, "cancelled after {waited:?}");
    assert!(
        waited < Duration::from_secs(5),
        "cancelled after {waited:?}"
    );
    // The one pooled connection is fine, and the todo unchanged.
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
    limited.close().await.unwrap();
}
