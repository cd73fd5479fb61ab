//! What the API answers when a use case fails because a port did: the store
//! is down (503), breaks unexpectedly (500, telling the client nothing of
//! it) or reports a conflict (409). The failures come from the in-memory
//! store's outage switch or from a mockall mock standing in for one port
//! (`domain`'s `mocks` feature), beside the memory store's other ports: no
//! database fault is staged, and each test runs the same on every
//! `TEST_BACKEND`.

use std::sync::Arc;

use domain::ports::MockUserRepository;
use domain::time::SystemClock;
use domain::{ConflictField, RepositoryError};
use infra_memory::MemoryStore;
use serde_json::json;

use crate::helpers::{TestApp, assert_envelope, header, json_of, registration};

/// An error whose text a client must never see.
fn internals() -> anyhow::Error {
    anyhow::anyhow!("relation \"users\" does not exist (db-7.internal:5432, role app_rw)")
}

fn memory() -> MemoryStore {
    MemoryStore::new(Arc::new(SystemClock))
}

#[tokio::test]
async fn a_store_outage_is_a_503_with_retry_after_and_the_api_recovers_when_it_ends() {
    let store = memory();
    let app = TestApp::spawn_over(store.clone(), store.repositories()).await;
    let (_, token) = app.user("alice").await;
    app.create_todo(&token, "before the outage").await;

    store.set_unavailable(true);
    for (path, token) in [
        ("/v1/todos", Some(token.as_str())),
        ("/v1/auth/me", Some(token.as_str())),
        ("/v1/health/ready", None),
    ] {
        let response = app.get(path, token).await;
        assert_eq!(
            header(&response, "retry-after").as_deref(),
            Some("1"),
            "{path}"
        );
        assert_envelope(response, 503).await;
    }
    let health = json_of(app.get("/v1/health", None).await, 503).await;
    assert_eq!(health["database"]["status"], "disconnected", "{health}");
    let login = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": crate::helpers::PASSWORD}),
            None,
        )
        .await;
    assert_envelope(login, 503).await;
    // Liveness never asks the store.
    json_of(app.get("/v1/health/live", None).await, 200).await;

    store.set_unavailable(false);
    let list = json_of(app.get("/v1/todos", Some(&token)).await, 200).await;
    assert_eq!(list["total"], 1, "nothing was lost: {list}");
}

#[tokio::test]
async fn an_unexpected_store_error_is_a_500_that_tells_the_client_nothing_of_it() {
    let store = memory();
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_login()
        .times(1)
        .returning(|_| Err(RepositoryError::Unexpected(internals())));
    let mut repositories = store.repositories();
    repositories.users = Arc::new(users);
    let app = TestApp::spawn_over(store, repositories).await;

    let response = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "alice", "password": crate::helpers::PASSWORD}),
            None,
        )
        .await;
    let text = {
        assert_eq!(response.status(), 500);
        response.text().await.unwrap()
    };
    for secret in ["relation", "db-7.internal", "5432", "app_rw"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["message"], "Internal server error", "{body}");
    assert_eq!(body["error"]["type"], "server_error", "{body}");
}

#[tokio::test]
async fn a_conflict_the_store_reports_is_a_409_naming_the_field() {
    let store = memory();
    let mut users = MockUserRepository::new();
    // The store alone knows of the collision (say, a concurrent
    // registration committed first): no check in the use case saw it.
    users
        .expect_create()
        .times(1)
        .returning(|_| Err(RepositoryError::Conflict(ConflictField::Username)));
    let mut repositories = store.repositories();
    repositories.users = Arc::new(users);
    let app = TestApp::spawn_over(store, repositories).await;

    let response = app.register_with(&registration("alice")).await;
    let error = assert_envelope(response, 409).await;
    assert_eq!(
        error["message"], "A user with this username already exists",
        "{error}"
    );
}
