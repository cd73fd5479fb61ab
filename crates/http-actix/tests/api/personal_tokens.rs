//! Personal access tokens over HTTP: made, listed and revoked with an
//! access token; used as `Bearer pat_…` for the todos (within their scopes)
//! and `GET /v1/auth/me`, and nothing else (the route matrix walks every
//! operation of the OpenAPI document); refused once revoked, expired, or
//! their user deactivated or deleted; revoked by a password change or
//! reset; `last_used_at` moved at most once a minute.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_envelope, assert_unauthorized, header, id_of, invalid_fields, json_of,
};
use crate::recovery::{NEW_PASSWORD, reset, reset_token};

const TOKENS: &str = "/v1/auth/tokens";

/// Makes a token with `body` through `access`; its whole answer.
async fn create(app: &TestApp, access: &str, body: &Value) -> Value {
    json_of(app.post_json(TOKENS, body, Some(access)).await, 201).await
}

/// A token with every scope: (its id, its secret).
async fn full_token(app: &TestApp, access: &str) -> (i64, String) {
    let made = create(app, access, &json!({"name": "script"})).await;
    (id_of(&made), made["token"].as_str().unwrap().to_owned())
}

async fn listed(app: &TestApp, access: &str) -> Vec<Value> {
    json_of(app.get(TOKENS, Some(access)).await, 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_token_is_shown_once_listed_without_its_secret_and_reaches_the_todos() {
    let app = TestApp::spawn().await;
    let (alice, access) = app.user("alice").await;

    let response = app
        .post_json(TOKENS, &json!({"name": "CI deploy 🚀"}), Some(&access))
        .await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let made = json_of(response, 201).await;
    let secret = made["token"].as_str().unwrap();
    let random = secret.strip_prefix("pat_").expect("prefixed pat_");
    assert_eq!(random.len(), 43, "256 random bits, base64url: {secret}");
    assert_eq!(made["name"], "CI deploy 🚀");
    assert_eq!(made["scopes"], json!(["todos:read", "todos:write"]));
    assert_eq!(made["expires_at"], Value::Null);
    assert_eq!(made["last_used_at"], Value::Null);

    let list = listed(&app, &access).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], made["id"]);
    assert!(
        list[0].get("token").is_none(),
        "never the secret again: {}",
        list[0]
    );
    assert!(!list[0].to_string().contains(random));

    let me = json_of(app.get("/v1/auth/me", Some(secret)).await, 200).await;
    assert_eq!(me["id"], alice["id"]);
    let todo = app.create_todo(secret, "made by a script").await;
    assert_eq!(todo["user_id"], alice["id"]);
    let path = format!("/v1/todos/{}", id_of(&todo));
    json_of(app.get(&path, Some(secret)).await, 200).await;
    let page = json_of(app.get("/v1/todos", Some(secret)).await, 200).await;
    assert_eq!(page["total"], 1);
    let patched = app
        .patch_json(&path, &json!({"is_completed": true}), Some(secret))
        .await;
    assert_eq!(json_of(patched, 200).await["is_completed"], true);
    assert_eq!(app.delete(&path, Some(secret)).await.status(), 204);
}

#[tokio::test]
async fn a_revoked_token_is_401_and_only_its_owner_revokes_it() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user("alice").await;
    let (_, bob) = app.user("bob").await;
    let (id, secret) = full_token(&app, &alice).await;
    let path = format!("{TOKENS}/{id}");

    assert_envelope(app.delete(&path, Some(&bob)).await, 404).await;
    json_of(app.get("/v1/todos", Some(&secret)).await, 200).await;
    assert_envelope(app.delete(&path, Some(&secret)).await, 403).await;

    assert_eq!(app.delete(&path, Some(&alice)).await.status(), 204);
    assert_unauthorized(app.get("/v1/todos", Some(&secret)).await).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&secret)).await).await;
    assert_envelope(app.delete(&path, Some(&alice)).await, 404).await;
    assert!(listed(&app, &alice).await.is_empty());
    // A forgery with the prefix is one more unknown token.
    let forged = format!("pat_{}", "A".repeat(43));
    let response = app.get("/v1/todos", Some(&forged)).await;
    assert_eq!(
        header(&response, "www-authenticate").as_deref(),
        Some("Bearer")
    );
    assert_unauthorized(response).await;
}

#[tokio::test]
async fn scopes_decide_between_reading_and_writing_the_todos() {
    let app = TestApp::spawn().await;
    let (_, access) = app.user("alice").await;
    let todo = app.create_todo(&access, "existing").await;
    let path = format!("/v1/todos/{}", id_of(&todo));
    let reader = create(
        &app,
        &access,
        &json!({"name": "r", "scopes": ["todos:read"]}),
    )
    .await;
    let reader = reader["token"].as_str().unwrap();
    let writer = create(
        &app,
        &access,
        &json!({"name": "w", "scopes": ["todos:write"]}),
    )
    .await;
    assert_eq!(writer["scopes"], json!(["todos:write"]));
    let writer = writer["token"].as_str().unwrap();

    json_of(app.get("/v1/todos", Some(reader)).await, 200).await;
    json_of(app.get(&path, Some(reader)).await, 200).await;
    json_of(app.get("/v1/auth/me", Some(reader)).await, 200).await;
    let body = json!({"title": "no"});
    let error = assert_envelope(app.post_json("/v1/todos", &body, Some(reader)).await, 403).await;
    assert!(
        error["message"].as_str().unwrap().contains("scope"),
        "{error}"
    );
    assert_envelope(app.patch_json(&path, &body, Some(reader)).await, 403).await;
    assert_envelope(app.delete(&path, Some(reader)).await, 403).await;

    assert_envelope(app.get("/v1/todos", Some(writer)).await, 403).await;
    assert_envelope(app.get(&path, Some(writer)).await, 403).await;
    app.create_todo(writer, "written").await;
    assert_eq!(app.delete(&path, Some(writer)).await.status(), 204);
}

/// The operations a token with both scopes reaches.
const REACHABLE: [(&str, &str); 6] = [
    ("/v1/auth/me", "GET"),
    ("/v1/todos", "GET"),
    ("/v1/todos", "POST"),
    ("/v1/todos/{id}", "GET"),
    ("/v1/todos/{id}", "PATCH"),
    ("/v1/todos/{id}", "DELETE"),
];

#[tokio::test]
async fn a_token_reaches_only_the_todos_and_the_profile_on_every_documented_route() {
    let app = TestApp::spawn().await;
    let (alice, access) = app.user("alice").await;
    let (_, secret) = full_token(&app, &access).await;
    let doc = json_of(app.get("/openapi.json", None).await, 200).await;
    let mut protected = 0;

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_ascii_uppercase();
            let needs_bearer = operation["security"]
                .as_array()
                .is_some_and(|schemes| !schemes.is_empty());
            // A todo of alice's, fresh for each, so a DELETE leaves the next
            // request something to find; her own id on the users' paths.
            let id = if path.starts_with("/v1/todos") {
                id_of(&app.create_todo(&access, "target").await)
            } else {
                id_of(&alice)
            };
            let url = path.replace("{id}", &id.to_string());
            let response = app
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &url,
                    Some(&secret),
                )
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let reachable = REACHABLE.contains(&(path.as_str(), method.as_str()));
            if reachable {
                assert!(
                    ![401, 403].contains(&status),
                    "{method} {path} is a token's, but answered {status}"
                );
            } else if needs_bearer {
                protected += 1;
                assert_eq!(status, 403, "{method} {path} must refuse a token");
                assert_envelope(response, 403).await;
            } else {
                assert_ne!(
                    status, 403,
                    "{method} {path} is public: a bearer changes nothing"
                );
            }
        }
    }
    assert!(
        protected >= 10,
        "only {protected} protected operations walked"
    );
    // Nothing a refused request names was touched: alice is still here.
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
}

#[tokio::test]
async fn an_expiring_token_works_until_its_last_day_ends() {
    let app = TestApp::spawn().await;
    let (_, access) = app.user("alice").await;
    let made = create(
        &app,
        &access,
        &json!({"name": "a day", "expires_in_days": 1}),
    )
    .await;
    let secret = made["token"].as_str().unwrap();
    let expires = crate::helpers::timestamp(&made["expires_at"]);
    let created = crate::helpers::timestamp(&made["created_at"]);
    assert_eq!((expires - created).num_seconds(), 86_400);

    app.clock().advance(Duration::from_secs(86_399));
    json_of(app.get("/v1/todos", Some(secret)).await, 200).await;
    app.clock().advance(Duration::from_secs(1));
    assert_unauthorized(app.get("/v1/todos", Some(secret)).await).await;
    // Still listed, expired, until revoked.
    assert_eq!(listed(&app, &access).await.len(), 1);
}

#[tokio::test]
async fn a_deactivated_or_deleted_users_tokens_are_401() {
    let app = TestApp::spawn().await;
    let (alice, access) = app.user("alice").await;
    let (_, secret) = full_token(&app, &access).await;

    app.set_flags(id_of(&alice), None, Some(false)).await;
    assert_unauthorized(app.get("/v1/todos", Some(&secret)).await).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&secret)).await).await;
    app.set_flags(id_of(&alice), None, Some(true)).await;
    json_of(app.get("/v1/todos", Some(&secret)).await, 200).await;

    let access = app.token_for("alice").await;
    let me = format!("/v1/users/{}", id_of(&alice));
    assert_eq!(app.delete(&me, Some(&access)).await.status(), 204);
    assert_unauthorized(app.get("/v1/todos", Some(&secret)).await).await;
}

#[tokio::test]
async fn a_password_change_or_reset_revokes_the_tokens() {
    let app = TestApp::spawn().await;
    let (_, access) = app.user("alice").await;
    let (_, before_change) = full_token(&app, &access).await;
    let change = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    let response = app
        .post_json("/v1/auth/password", &change, Some(&access))
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.get("/v1/todos", Some(&before_change)).await).await;
    assert!(
        listed(&app, &access).await.is_empty(),
        "revoked, not just refused"
    );

    let (_, before_reset) = full_token(&app, &access).await;
    let link = reset_token(&app, "alice").await;
    assert_eq!(
        reset(&app, &link, "yet-another-passphrase-9")
            .await
            .status(),
        204
    );
    assert_unauthorized(app.get("/v1/todos", Some(&before_reset)).await).await;
}

#[tokio::test]
async fn with_revoke_pats_on_password_change_false_the_tokens_survive_a_new_password() {
    let app = TestApp::spawn_with(&[("REVOKE_PATS_ON_PASSWORD_CHANGE", "false")]).await;
    let (_, access) = app.user("alice").await;
    let (_, secret) = full_token(&app, &access).await;
    let change = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    assert_eq!(
        app.post_json("/v1/auth/password", &change, Some(&access))
            .await
            .status(),
        204
    );
    json_of(app.get("/v1/todos", Some(&secret)).await, 200).await;
}

async fn last_used(app: &TestApp, access: &str) -> Value {
    listed(app, access).await[0]["last_used_at"].clone()
}

#[tokio::test]
async fn last_used_at_moves_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let (_, access) = app.user("alice").await;
    let (_, secret) = full_token(&app, &access).await;
    json_of(app.get("/v1/todos", Some(&secret)).await, 200).await;
    let first = last_used(&app, &access).await;
    assert_ne!(first, Value::Null);
    app.clock().advance(Duration::from_secs(59));
    json_of(app.get("/v1/todos", Some(&secret)).await, 200).await;
    assert_eq!(
        last_used(&app, &access).await,
        first,
        "within the minute: no write"
    );
    app.clock().advance(Duration::from_secs(2));
    json_of(app.get("/v1/auth/me", Some(&secret)).await, 200).await;
    let later = last_used(&app, &access).await;
    assert!(crate::helpers::timestamp(&later) > crate::helpers::timestamp(&first));
}

#[tokio::test]
async fn bad_requests_are_422_and_the_limit_is_409() {
    let app = TestApp::spawn_with(&[("PAT_MAX_PER_USER", "2")]).await;
    let (_, access) = app.user("alice").await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({}), "name"),
        (json!({"name": "n", "scopes": []}), "scopes"),
        (json!({"name": "n", "scopes": ["todos:admin"]}), "scopes"),
        (json!({"name": "n", "scopes": "todos:read"}), "scopes"),
        (
            json!({"name": "n", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "n", "expires_in_days": 3651}),
            "expires_in_days",
        ),
        (
            json!({"name": "n", "expires_in_days": -1}),
            "expires_in_days",
        ),
    ] {
        let error = assert_envelope(app.post_json(TOKENS, &body, Some(&access)).await, 422).await;
        let fields = invalid_fields(&error);
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{body}: {fields:?}"
        );
    }
    assert!(listed(&app, &access).await.is_empty(), "nothing was made");

    full_token(&app, &access).await;
    let (id, _) = full_token(&app, &access).await;
    let error = assert_envelope(
        app.post_json(TOKENS, &json!({"name": "third"}), Some(&access))
            .await,
        409,
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("revoke"),
        "{error}"
    );
    assert_eq!(
        app.delete(&format!("{TOKENS}/{id}"), Some(&access))
            .await
            .status(),
        204
    );
    full_token(&app, &access).await;
}

#[tokio::test]
async fn a_token_cannot_make_list_or_revoke_tokens() {
    let app = TestApp::spawn().await;
    let (_, access) = app.user("alice").await;
    let (id, secret) = full_token(&app, &access).await;

    for response in [
        app.post_json(TOKENS, &json!({"name": "child"}), Some(&secret))
            .await,
        app.get(TOKENS, Some(&secret)).await,
        app.delete(&format!("{TOKENS}/{id}"), Some(&secret)).await,
        app.post("/v1/auth/logout", Some(&secret)).await,
        app.get("/v1/auth/sessions", Some(&secret)).await,
    ] {
        assert_envelope(response, 403).await;
    }
    assert_eq!(listed(&app, &access).await.len(), 1);
    json_of(app.get("/v1/todos", Some(&secret)).await, 200).await;
}
