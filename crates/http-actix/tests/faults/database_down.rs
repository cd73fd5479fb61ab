//! The database goes away under a running service, then comes back.

use std::time::{Duration, Instant};

use crate::api_process::ApiProcess;
use crate::client::{assert_unavailable, create_todo, http, login, register, timed};
use crate::cluster::Cluster;

const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);
const HEALTH_TIMEOUT: Duration = Duration::from_millis(2000);
/// Scheduling slack on a loaded two-core machine.
const MARGIN: Duration = Duration::from_millis(1500);
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_stopped_database_is_a_fast_503_and_the_service_recovers_when_it_returns() {
    let Some(mut cluster) = Cluster::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory for the api");
    let api = ApiProcess::start(
        dir.path(),
        "api",
        &cluster.url(),
        &[
            ("DB_ACQUIRE_TIMEOUT_MS", "1000"),
            ("HEALTH_TIMEOUT_MS", "2000"),
        ],
    )
    .await;
    let client = http();
    register(&client, &api, "outage").await;
    let (token, _) = login(&client, &api, "outage").await;
    let todo = create_todo(&client, &api, &token, "survives the outage").await;

    cluster.stop();

    for path in ["/v1/health", "/v1/health/ready"] {
        let (response, took) = timed(client.get(api.url(path)).send()).await;
        let response = response.unwrap_or_else(|e| panic!("{path}: {e}\n{}", api.log()));
        assert_unavailable(response, path, &api).await;
        assert!(took < HEALTH_TIMEOUT, "{path} took {took:?}");
        eprintln!("database stopped: {path} 503 after {took:.2?}");
    }

    let (live, took) = timed(client.get(api.url("/v1/health/live")).send()).await;
    assert_eq!(live.expect("liveness").status(), 200);
    assert!(took < Duration::from_millis(500), "liveness took {took:?}");

    let authenticated = [
        ("GET /v1/auth/me", client.get(api.url("/v1/auth/me"))),
        (
            "GET /v1/todos",
            client.get(api.url("/v1/todos?page=1&page_size=100")),
        ),
        (
            "GET /v1/todos/{id}",
            client.get(api.url(&format!("/v1/todos/{todo}"))),
        ),
        (
            "POST /v1/todos",
            client
                .post(api.url("/v1/todos"))
                .json(&serde_json::json!({"title": "written into the void"})),
        ),
    ];
    let mut request_ids = Vec::new();
    for (what, request) in authenticated {
        let (response, took) = timed(request.bearer_auth(&token).send()).await;
        let response = response.unwrap_or_else(|e| panic!("{what}: {e}\n{}", api.log()));
        request_ids.push(assert_unavailable(response, what, &api).await);
        assert!(
            took < ACQUIRE_TIMEOUT + MARGIN,
            "{what} took {took:?} with a {ACQUIRE_TIMEOUT:?} acquire timeout"
        );
        eprintln!(
            "database stopped: {what} 503 after {took:.2?} (acquire timeout {ACQUIRE_TIMEOUT:?})"
        );
    }
    let (response, took) = timed(
        client
            .post(api.url("/v1/auth/login"))
            .json(&serde_json::json!({"username": "outage", "password": crate::client::PASSWORD}))
            .send(),
    )
    .await;
    assert_unavailable(response.expect("login"), "POST /v1/auth/login", &api).await;
    assert!(took < ACQUIRE_TIMEOUT + MARGIN, "login took {took:?}");
    eprintln!("database stopped: POST /v1/auth/login 503 after {took:.2?}");

    // The cause stays in the log, under the request's id.
    let log = api.log();
    for id in &request_ids {
        assert!(log.contains(id.as_str()), "request {id} not logged\n{log}");
    }

    cluster.restart();
    let restarted = Instant::now();
    loop {
        let healthy = client
            .get(api.url("/v1/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        let readable = if healthy {
            let response = client
                .get(api.url(&format!("/v1/todos/{todo}")))
                .bearer_auth(&token)
                .send()
                .await
                .expect("read the todo");
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_ne!(status, 500, "{body}\n{}", api.log());
            status == 200 && body["title"] == "survives the outage"
        } else {
            false
        };
        if readable {
            break;
        }
        assert!(
            restarted.elapsed() < RECOVERY_LIMIT,
            "no recovery within {RECOVERY_LIMIT:?} of the database's return\n{}\n{}",
            api.log(),
            cluster.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "database back: healthy and the todo readable {:.2?} after the restart",
        restarted.elapsed()
    );
    let response = client
        .get(api.url("/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(response.status(), 200, "{}", api.log());
}
