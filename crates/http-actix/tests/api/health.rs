//! `GET /v1/health`, `/v1/health/live` and `/v1/health/ready`.

use std::time::Duration;

use domain::ports::Clock;

use crate::helpers::{TestApp, assert_common_headers, assert_envelope, json_of, timestamp};

#[tokio::test]
async fn health_is_200_healthy_with_a_connected_database() {
    let app = TestApp::spawn().await;
    app.clock().advance(Duration::from_millis(1500));
    let response = app.get("/v1/health", None).await;
    assert_common_headers(&response);
    let body = json_of(response, 200).await;
    assert_eq!(body["status"], "healthy", "{body}");
    assert!(
        body["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{body}"
    );
    assert_eq!(body["environment"], "test", "{body}");
    // The application's clock.
    let at = timestamp(&body["timestamp"]);
    assert_eq!(at, app.clock().now(), "{body}");
    assert_eq!(body["database"]["status"], "connected", "{body}");
    let db_time = timestamp(&body["database"]["current_time"]);
    // The database's own clock (the machine's; the memory store answers
    // the application's): near the application's, which started at the
    // machine's time when the test began.
    assert!((db_time - at).num_seconds().abs() < 60, "{body}");
    assert!(body.get("error").is_none(), "{body}");
}

#[tokio::test]
async fn health_needs_no_token() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/health", Some("garbage")).await;
    json_of(response, 200).await;
}

#[tokio::test]
async fn health_version_is_the_crate_version() {
    let app = TestApp::spawn().await;
    let body = json_of(app.get("/v1/health", None).await, 200).await;
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn live_is_200_alive() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/health/live", None).await;
    assert_common_headers(&response);
    let body = json_of(response, 200).await;
    assert_eq!(body, serde_json::json!({"status": "alive"}));
}

#[tokio::test]
async fn ready_is_200_on_a_migrated_database() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/health/ready", None).await;
    assert_common_headers(&response);
    let body = json_of(response, 200).await;
    assert_eq!(body, serde_json::json!({"status": "ready"}));
}

/// Rolling the schema back breaks every other route of this app: fine, it
/// is this test's own database.
#[tokio::test]
async fn ready_is_503_with_a_pending_migration_while_live_stays_200() {
    let app = TestApp::spawn().await;
    app.store.roll_back_last_migration().await;

    let response = app.get("/v1/health/ready", None).await;
    assert_common_headers(&response);
    let body = json_of(response, 503).await;
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["reason"], "1 pending migration", "{body}");
    assert_eq!(body["pending_migrations"], 1, "{body}");
    assert_eq!(body["error"]["status_code"], 503, "{body}");
    assert_eq!(body["error"]["type"], "server_error", "{body}");

    // The envelope checks, on a fresh request (a body can be read once).
    let response = app.get("/v1/health/ready", None).await;
    assert_envelope(response, 503).await;

    // Liveness never asks the database.
    let response = app.get("/v1/health/live", None).await;
    json_of(response, 200).await;
}
