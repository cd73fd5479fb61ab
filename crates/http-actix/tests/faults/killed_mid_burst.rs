//! SIGKILL in the middle of a burst of writes: whatever the service
//! acknowledged is in the database afterwards, and nothing is half written.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use reqwest::Client;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::api_process::ApiProcess;
use crate::client::{PASSWORD, http, login, register, registration, tokens_of};
use crate::cluster::Cluster;

const TODO_WRITERS: usize = 16;
const LOGIN_LOOPS: usize = 2;
const REGISTRARS: usize = 2;
const BURST_BEFORE_KILL: Duration = Duration::from_secs(1);

/// What the service acknowledged before it died.
#[derive(Default)]
struct Acknowledged {
    /// `(id, title)` of every 201 to `POST /v1/todos`.
    todos: Vec<(i64, String)>,
    /// The refresh token of every 200 to `POST /v1/auth/login`.
    logins: Vec<String>,
    /// `(presented, new)` refresh tokens of every 200 to `POST /v1/auth/refresh`.
    rotations: Vec<(String, String)>,
    /// The username of every 201 to `POST /v1/auth/register`.
    registrations: Vec<String>,
    /// Any answer that is neither the success nor a dropped connection.
    unexpected: Vec<String>,
}

type Shared = Arc<Mutex<Acknowledged>>;

fn record(shared: &Shared, f: impl FnOnce(&mut Acknowledged)) {
    f(&mut shared.lock().expect("the record lock"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_keeps_every_acknowledged_write_and_no_half_written_session() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory for the api");
    let mut api = ApiProcess::start(dir.path(), "before-kill", &cluster.url(), &[]).await;
    let client = http();
    register(&client, &api, "writer").await;
    let (token, _) = login(&client, &api, "writer").await;

    let shared = Shared::default();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..TODO_WRITERS {
        tasks.push(tokio::spawn(write_todos(
            client.clone(),
            api.url("/v1/todos"),
            token.clone(),
            writer,
            shared.clone(),
        )));
    }
    for _ in 0..LOGIN_LOOPS {
        tasks.push(tokio::spawn(log_in_and_refresh(
            client.clone(),
            api.url(""),
            shared.clone(),
        )));
    }
    for registrar in 0..REGISTRARS {
        tasks.push(tokio::spawn(register_users(
            client.clone(),
            api.url("/v1/auth/register"),
            registrar,
            shared.clone(),
        )));
    }
    tokio::time::sleep(BURST_BEFORE_KILL).await;
    wait_for_enough(&shared, &api).await;
    let burst = started.elapsed();
    api.kill();
    let killed = Instant::now();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(25), task)
            .await
            .expect("a burst task outlived the kill")
            .expect("a burst task panicked");
    }
    let drained = killed.elapsed();
    let acknowledged = std::mem::take(&mut *shared.lock().expect("the record lock"));
    assert!(
        acknowledged.unexpected.is_empty(),
        "unexpected answers during the burst: {:?}\n{}",
        acknowledged.unexpected,
        api.log()
    );
    eprintln!(
        "killed mid-burst after {burst:.2?}: {} todos, {} logins, {} refreshes, {} \
         registrations acknowledged; clients saw the drop within {drained:.2?}",
        acknowledged.todos.len(),
        acknowledged.logins.len(),
        acknowledged.rotations.len(),
        acknowledged.registrations.len()
    );

    let restarting = Instant::now();
    let api = ApiProcess::start(dir.path(), "after-kill", &cluster.url(), &[]).await;
    eprintln!("restarted after SIGKILL in {:.2?}", restarting.elapsed());

    every_acknowledged_todo_is_readable(&client, &api, &token, &acknowledged.todos).await;
    let db = cluster.connect().await;
    let stored = strings(&db, "SELECT id::TEXT AS value FROM todos").await;
    eprintln!(
        "after the restart: {} todos stored for {} acknowledged (the rest were in flight)",
        stored.len(),
        acknowledged.todos.len()
    );
    sessions_are_whole(&db, &acknowledged).await;
    let users = strings(&db, "SELECT lower(username) AS value FROM users").await;
    for username in &acknowledged.registrations {
        assert!(
            users.contains(&username.to_lowercase()),
            "acknowledged registration {username} lost"
        );
    }
}

/// Waits (a little) until the burst has written enough of everything to be
/// worth checking: on a loaded machine one second may not be enough.
async fn wait_for_enough(shared: &Shared, api: &ApiProcess) {
    let started = Instant::now();
    loop {
        let (todos, logins, rotations, registrations) = {
            let a = shared.lock().expect("the record lock");
            assert!(a.unexpected.is_empty(), "{:?}\n{}", a.unexpected, api.log());
            (
                a.todos.len(),
                a.logins.len(),
                a.rotations.len(),
                a.registrations.len(),
            )
        };
        if todos >= 2 * TODO_WRITERS && logins >= 2 && rotations >= 1 && registrations >= 2 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the burst wrote too little to test anything: {todos} todos, {logins} logins, \
             {rotations} refreshes, {registrations} registrations\n{}",
            api.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn write_todos(client: Client, url: String, token: String, writer: usize, shared: Shared) {
    for n in 0.. {
        let title = format!("burst {writer}-{n}");
        let sent = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"title": title, "description": "written during the burst"}))
            .send()
            .await;
        let Ok(response) = sent else { return };
        let status = response.status();
        let Ok(body) = response.json::<Value>().await else {
            return;
        };
        match (status.as_u16(), body["id"].as_i64()) {
            (201, Some(id)) => record(&shared, |a| a.todos.push((id, title))),
            _ => return record(&shared, |a| a.unexpected.push(format!("{status} {body}"))),
        }
    }
}

/// Logs in, refreshes once, and again, until the connection drops.
async fn log_in_and_refresh(client: Client, base: String, shared: Shared) {
    loop {
        let Some(body) = post_ok(
            &client,
            &format!("{base}/v1/auth/login"),
            &json!({"username": "writer", "password": PASSWORD}),
            200,
            &shared,
        )
        .await
        else {
            return;
        };
        let (_, refresh) = tokens_of(&body);
        record(&shared, |a| a.logins.push(refresh.clone()));
        let Some(body) = post_ok(
            &client,
            &format!("{base}/v1/auth/refresh"),
            &json!({"refresh_token": refresh}),
            200,
            &shared,
        )
        .await
        else {
            return;
        };
        let (_, rotated) = tokens_of(&body);
        record(&shared, |a| a.rotations.push((refresh, rotated)));
    }
}

async fn register_users(client: Client, url: String, registrar: usize, shared: Shared) {
    for n in 0.. {
        let username = format!("burst_{registrar}_{n}");
        if post_ok(&client, &url, &registration(&username), 201, &shared)
            .await
            .is_none()
        {
            return;
        }
        record(&shared, |a| a.registrations.push(username));
    }
}

/// The body of a `status` answer; `None` once the connection drops (the
/// kill) or on any other answer, which is recorded as unexpected.
async fn post_ok(
    client: &Client,
    url: &str,
    body: &Value,
    status: u16,
    shared: &Shared,
) -> Option<Value> {
    let response = client.post(url).json(body).send().await.ok()?;
    let answered = response.status();
    let body: Value = response.json().await.ok()?;
    if answered.as_u16() == status {
        Some(body)
    } else {
        record(shared, |a| {
            a.unexpected.push(format!("{url}: {answered} {body}"));
        });
        None
    }
}

async fn every_acknowledged_todo_is_readable(
    client: &Client,
    api: &ApiProcess,
    token: &str,
    todos: &[(i64, String)],
) {
    let ids: HashSet<i64> = todos.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), todos.len(), "an id was acknowledged twice");
    let checks = futures_util::stream::iter(todos)
        .map(|(id, title)| async move {
            let response = client
                .get(api.url(&format!("/v1/todos/{id}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("reading todo {id}: {e}"));
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_default();
            (*id, title, status, body)
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    for (id, title, status, body) in checks {
        assert_eq!(
            status,
            200,
            "acknowledged todo {id} ({title}) is gone: {body}\n{}",
            api.log()
        );
        assert_eq!(body["id"], id, "{body}");
        assert_eq!(body["title"], title.as_str(), "todo {id}: {body}");
    }
}

/// No session without its refresh token and no token without its session;
/// every live session has exactly one unspent token; every acknowledged
/// login and rotation is stored, the presented token of a rotation spent.
async fn sessions_are_whole(db: &DatabaseConnection, acknowledged: &Acknowledged) {
    for (what, sql) in [
        (
            "sessions without a refresh token",
            "SELECT s.id::TEXT AS value FROM sessions s WHERE NOT EXISTS \
             (SELECT 1 FROM refresh_tokens r WHERE r.session_id = s.id)",
        ),
        (
            "refresh tokens without a session",
            "SELECT r.token_hash AS value FROM refresh_tokens r WHERE NOT EXISTS \
             (SELECT 1 FROM sessions s WHERE s.id = r.session_id)",
        ),
        (
            "live sessions without exactly one unspent refresh token",
            "SELECT s.id::TEXT AS value FROM sessions s WHERE s.revoked_at IS NULL AND \
             (SELECT count(*) FROM refresh_tokens r \
              WHERE r.session_id = s.id AND r.spent_at IS NULL) <> 1",
        ),
    ] {
        let found = strings(db, sql).await;
        assert!(found.is_empty(), "{what}: {found:?}");
    }
    let stored = strings(db, "SELECT token_hash AS value FROM refresh_tokens").await;
    let spent = strings(
        db,
        "SELECT token_hash AS value FROM refresh_tokens WHERE spent_at IS NOT NULL",
    )
    .await;
    for token in &acknowledged.logins {
        assert!(
            stored.contains(&hash(token)),
            "an acknowledged login's session is lost"
        );
    }
    for (presented, new) in &acknowledged.rotations {
        assert!(
            spent.contains(&hash(presented)),
            "an acknowledged rotation did not spend"
        );
        assert!(
            stored.contains(&hash(new)),
            "an acknowledged rotation's token is lost"
        );
    }
}

/// The stored form of a refresh token: hex SHA-256.
fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// The `value` column of every row of `sql`.
async fn strings(db: &DatabaseConnection, sql: &str) -> HashSet<String> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| row.try_get::<String>("", "value").expect("a text value"))
        .collect()
}
