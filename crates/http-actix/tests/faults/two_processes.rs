//! Two `api` processes on one database, as an operator runs two replicas:
//! started at the same moment on an empty database (both apply the
//! migrations; the migration lock makes them take turns), then a logout,
//! password change, deletion or deactivation through one is applied by the
//! other on the very next request, and failed logins count across both. `tests/api/instances.rs` covers more cases with two instances
//! inside one test process; this is the same promise across real processes.

use std::process::Command;

use migration::{Migrator, MigratorTrait};
use reqwest::{Client, Response};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::api_process::ApiProcess;
use crate::client::{http, login, register};
use crate::cluster::Cluster;

/// One key pair for both, made before either starts (in `test` mode each
/// process would otherwise generate its own when the files are missing).
fn keygen(dir: &std::path::Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_api"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["keygen", "--bits", "2048"])
        .output()
        .expect("api keygen runs");
    assert!(
        output.status.success(),
        "api keygen: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn me(client: &Client, api: &ApiProcess, token: &str) -> Response {
    client
        .get(api.url("/v1/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /v1/auth/me")
}

#[tokio::test]
async fn two_processes_started_at_once_migrate_once_and_share_sessions_users_and_throttling() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory for the api processes");
    keygen(dir.path());
    let url = cluster.url();

    let env = [("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")];
    let (a, b) = tokio::join!(
        ApiProcess::start(dir.path(), "a", &url, &env),
        ApiProcess::start(dir.path(), "b", &url, &env),
    );

    // Each migration recorded exactly once.
    let db = cluster.connect().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version ORDER BY version",
        ))
        .await
        .expect("read seaql_migrations");
    let recorded: Vec<(String, i64)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "version").expect("version"),
                row.try_get::<i64>("", "n").expect("count"),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), 1))
        .collect();
    assert_eq!(recorded, expected, "a:\n{}\nb:\n{}", a.log(), b.log());

    // A logout on A is refused on B at once.
    let client = http();
    register(&client, &a, "alice").await;
    let (access, _) = login(&client, &a, "alice").await;
    assert_eq!(me(&client, &b, &access).await.status(), 200, "{}", b.log());
    let logout = client
        .post(a.url("/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 204, "{}", a.log());
    assert_eq!(me(&client, &b, &access).await.status(), 401);

    // A password change on A ends the user's other sessions, and B refuses
    // their tokens on the next request.
    register(&client, &a, "carol").await;
    let (on_a, _) = login(&client, &a, "carol").await;
    let (on_b, _) = login(&client, &b, "carol").await;
    assert_eq!(me(&client, &b, &on_b).await.status(), 200);
    let changed = client
        .post(a.url("/v1/auth/password"))
        .bearer_auth(&on_a)
        .json(&json!({
            "current_password": crate::client::PASSWORD,
            "new_password": "a-brand-new-password",
        }))
        .send()
        .await
        .expect("change the password");
    assert_eq!(changed.status(), 204, "{}", a.log());
    assert_eq!(me(&client, &b, &on_b).await.status(), 401);
    assert_eq!(me(&client, &b, &on_a).await.status(), 200);

    // A deletion (by SQL, as an administrator's change lands) is refused by
    // B at once, whichever instance issued the token.
    db.execute_unprepared("DELETE FROM users WHERE username = 'carol'")
        .await
        .expect("delete carol");
    assert_eq!(me(&client, &b, &on_a).await.status(), 401);

    // A deactivation (by SQL, as an administrator's change lands) is refused
    // by both on the next request, whichever issued the token.
    register(&client, &b, "bob").await;
    let (from_b, _) = login(&client, &b, "bob").await;
    assert_eq!(me(&client, &a, &from_b).await.status(), 200);
    db.execute_unprepared("UPDATE users SET is_active = FALSE WHERE username = 'bob'")
        .await
        .expect("deactivate bob");
    assert_eq!(me(&client, &a, &from_b).await.status(), 401);
    assert_eq!(me(&client, &b, &from_b).await.status(), 401);

    // The login throttle counts across both: three failures, on A, B and A,
    // lock the account on B, even for the right password.
    let failures = json!({"username": "alice", "password": "wrong-password-1"});
    for api in [&a, &b].into_iter().cycle().take(3) {
        let response = client
            .post(api.url("/v1/auth/login"))
            .json(&failures)
            .send()
            .await
            .expect("a failed login");
        assert_eq!(response.status(), 401);
    }
    let locked = client
        .post(b.url("/v1/auth/login"))
        .json(&json!({"username": "alice", "password": crate::client::PASSWORD}))
        .send()
        .await
        .expect("a throttled login");
    assert_eq!(locked.status(), 429, "{}", b.log());
}
