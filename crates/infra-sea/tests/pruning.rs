//! `SeaStorePruner`'s own machinery (what a pass deletes is the port
//! contract's, `contract.rs`): batches, and on PostgreSQL the advisory lock
//! that lets one instance prune at a time. On the configured test database
//! (PostgreSQL with `TEST_DATABASE_URL`, else SQLite).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::TimeDelta;
use domain::ports::{
    LoginAttempts, PruneOutcome, PruneRules, Pruned, SessionRepository, StorePruner, ThrottleKey,
};
use infra_sea::testing::TestDatabase;
use infra_sea::{PRUNE_LOCK_KEY, SeaStorePruner};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use support::BASE;

/// Every session opened at BASE ends within 30 days; events before BASE go.
fn rules() -> PruneRules {
    PruneRules {
        sessions_ended_before: BASE + TimeDelta::days(31),
        attempts_before: BASE,
        outbox_finished_before: BASE,
        account_tokens_ended_before: BASE,
    }
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(
        backend,
        format!("SELECT COUNT(*) FROM {table}"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

/// `sessions` ended sessions of two tokens each, and `events` old login
/// events (one key each).
async fn backlog(db: &TestDatabase, sessions: usize, events: usize) {
    let user = support::create_user(&support::users(db), "alice").await;
    let repo = support::sessions(db);
    for i in 0..sessions {
        let session = support::create_session(&repo, user.id, &format!("s{i}-a")).await;
        assert!(
            repo.rotate(
                session.id,
                &support::token_hash(&format!("s{i}-a")),
                &support::token_hash(&format!("s{i}-b")),
                BASE + TimeDelta::minutes(1),
            )
            .await
            .unwrap()
        );
    }
    let attempts = support::attempts(db);
    for i in 0..events {
        attempts
            .record(
                &[ThrottleKey::LoginIp(format!("198.51.100.{i}"))],
                BASE - TimeDelta::hours(1),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_pass_deletes_a_backlog_larger_than_a_batch_in_several_batches() {
    let db = support::database().await;
    backlog(&db, 7, 5).await;
    let conn = db.connection();
    assert_eq!(count(conn, "refresh_tokens").await, 14);

    let outcome = SeaStorePruner::with_batch_rows(conn.clone(), 3)
        .prune(&rules())
        .await
        .unwrap();

    assert_eq!(
        outcome,
        PruneOutcome::Done(Pruned {
            sessions: 7,
            refresh_tokens: 14,
            login_attempts: 5,
            ..Pruned::default()
        })
    );
    for table in ["sessions", "refresh_tokens", "login_attempts"] {
        assert_eq!(count(conn, table).await, 0, "{table} is empty");
    }
    assert_eq!(count(conn, "users").await, 1, "the user stays");
}

#[tokio::test]
async fn on_postgresql_a_pass_is_busy_while_another_instance_prunes() {
    let db = support::database().await;
    if db.connection().get_database_backend() != DbBackend::Postgres {
        eprintln!("SQLite: one instance per file, no lock to test");
        return;
    }
    backlog(&db, 2, 1).await;
    // Another instance's pass, in the middle of a batch: it holds the lock.
    let other = Database::connect(db.url()).await.unwrap();
    let batch = other.begin().await.unwrap();
    let locked = batch
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            [PRUNE_LOCK_KEY.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<bool>("", "locked")
        .unwrap();
    assert!(locked);
    let pruner = SeaStorePruner::new(db.connection().clone());

    let busy = pruner.prune(&rules()).await.unwrap();

    assert_eq!(busy, PruneOutcome::Busy(Pruned::default()));
    assert_eq!(
        count(db.connection(), "sessions").await,
        2,
        "nothing deleted"
    );

    batch.commit().await.unwrap();
    let done = pruner.prune(&rules()).await.unwrap();
    assert_eq!(
        done,
        PruneOutcome::Done(Pruned {
            sessions: 2,
            refresh_tokens: 4,
            login_attempts: 1,
            ..Pruned::default()
        })
    );
    other.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_of_several_instances_at_once_delete_everything_once() {
    let db = support::database().await;
    backlog(&db, 40, 30).await;
    // Three instances, each with a pool of its own.
    let mut pools = Vec::new();
    for _ in 0..3 {
        pools.push(Database::connect(db.url()).await.unwrap());
    }
    let passes = pools.iter().map(|pool| {
        let pruner = SeaStorePruner::with_batch_rows(pool.clone(), 4);
        tokio::spawn(async move { pruner.prune(&rules()).await })
    });
    let outcomes: Vec<PruneOutcome> = futures_util::future::join_all(passes)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();

    let mut total = Pruned::default();
    for outcome in &outcomes {
        total += outcome.pruned();
    }
    // Each row was deleted by exactly one pass, and every pass that gave up
    // did so because another was at work: together they deleted it all.
    assert_eq!(
        total,
        Pruned {
            sessions: 40,
            refresh_tokens: 80,
            login_attempts: 30,
            ..Pruned::default()
        },
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| matches!(o, PruneOutcome::Done(_))),
        "{outcomes:?}"
    );
    for table in ["sessions", "refresh_tokens", "login_attempts"] {
        assert_eq!(count(db.connection(), table).await, 0, "{table} is empty");
    }
    for pool in pools {
        pool.close().await.unwrap();
    }
}
