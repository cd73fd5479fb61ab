//! Every pooled connection is held by a request stuck behind a lock: the
//! next requests are refused quickly instead of queueing without bound.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use crate::api_process::ApiProcess;
use crate::client::{assert_unavailable, create_todo, http, login, register, timed};
use crate::cluster::Cluster;

const POOL_SIZE: i64 = 2;
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on a loaded two-core machine.
const MARGIN: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_answers_503_fast_and_the_stuck_requests_finish_after() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory for the api");
    let api = ApiProcess::start(
        dir.path(),
        "api",
        &cluster.url(),
        // One worker, so that its one pool holds both connections (with two,
        // each worker has a pool of its own, of one connection).
        &[
            ("WORKERS", "1"),
            ("DB_POOL_SIZE", "2"),
            ("DB_ACQUIRE_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let client = http();
    register(&client, &api, "patient").await;
    let (token, _) = login(&client, &api, "patient").await;
    let todo = create_todo(&client, &api, &token, "behind the lock").await;

    let db = cluster.connect().await;
    let lock = db.begin().await.expect("BEGIN");
    lock.execute_unprepared("LOCK TABLE todos IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("LOCK TABLE todos");
    let locked = Instant::now();

    // Each of these holds a pooled connection while it waits for the lock.
    let stuck: Vec<_> = (0..POOL_SIZE)
        .map(|_| {
            tokio::spawn(
                client
                    .get(api.url("/v1/todos?page=1&page_size=100"))
                    .bearer_auth(&token)
                    .send(),
            )
        })
        .collect();
    wait_for_lock_waiters(&db, POOL_SIZE, &api).await;

    // Anything else needing a connection is refused within the acquire
    // timeout, all at once.
    let refused: Vec<_> = [
        ("GET /v1/auth/me", "/v1/auth/me"),
        ("GET /v1/auth/me (2)", "/v1/auth/me"),
        ("GET /v1/todos/{id}", &*format!("/v1/todos/{todo}")),
        ("GET /v1/health", "/v1/health"),
    ]
    .into_iter()
    .map(|(what, path)| {
        let request = client.get(api.url(path)).bearer_auth(&token).send();
        (what, tokio::spawn(timed(request)))
    })
    .collect();
    for (what, handle) in refused {
        let (response, took) = handle.await.expect("the request task");
        let response = response.unwrap_or_else(|e| panic!("{what}: {e}\n{}", api.log()));
        assert_unavailable(response, what, &api).await;
        assert!(
            took < ACQUIRE_TIMEOUT + MARGIN,
            "{what} took {took:?} with a {ACQUIRE_TIMEOUT:?} acquire timeout"
        );
        eprintln!(
            "pool exhausted: {what} 503 after {took:.2?} (acquire timeout {ACQUIRE_TIMEOUT:?})"
        );
    }
    let live = client
        .get(api.url("/v1/health/live"))
        .send()
        .await
        .expect("liveness");
    assert_eq!(live.status(), 200, "liveness needs no connection");
    assert!(
        stuck.iter().all(|s| !s.is_finished()),
        "a request behind the lock finished while the lock was held\n{}",
        api.log()
    );

    lock.commit().await.expect("COMMIT releases the lock");
    let held = locked.elapsed();
    let released = Instant::now();
    for handle in stuck {
        let response = handle
            .await
            .expect("the request task")
            .unwrap_or_else(|e| panic!("a stuck request failed: {e}\n{}", api.log()));
        assert_eq!(response.status(), 200, "{}", api.log());
        let body: serde_json::Value = response.json().await.expect("a JSON page");
        assert_eq!(body["total"], 1, "{body}");
    }
    eprintln!(
        "pool exhausted: lock held {held:.2?}; the stuck requests answered 200 {:.2?} after \
         its release",
        released.elapsed()
    );
    for path in ["/v1/auth/me", "/v1/health"] {
        let response = client
            .get(api.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect(path);
        assert_eq!(
            response.status(),
            200,
            "{path} after the release\n{}",
            api.log()
        );
    }
}

/// Waits until `n` sessions of the `app` database wait for a lock.
async fn wait_for_lock_waiters(db: &DatabaseConnection, n: i64, api: &ApiProcess) {
    let started = Instant::now();
    loop {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*)::BIGINT AS waiting FROM pg_stat_activity \
                 WHERE datname = 'app' AND wait_event_type = 'Lock'",
            ))
            .await
            .expect("reading pg_stat_activity")
            .expect("a row");
        let waiting: i64 = row.try_get("", "waiting").expect("a count");
        if waiting >= n {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "only {waiting} of {n} requests reached the lock\n{}",
            api.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
