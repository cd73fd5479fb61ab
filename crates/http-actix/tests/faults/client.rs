//! Speaking to the service: accounts, todos, and the checks of a 503.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::{Client, Response};
use serde_json::{Value, json};

use crate::api_process::ApiProcess;

pub const PASSWORD: &str = "correct-horse-battery";

/// Text that would betray the driver or the pool in a response body.
const DRIVER_TEXT: &[&str] = &[
    "sqlx",
    "connection refused",
    "os error",
    "pool",
    "dberr",
    "postgres",
    "timed out",
    "acquire",
    "io error",
];

/// A client whose requests never wait forever: a hang is a failure with a
/// message, not a stuck test.
pub fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client")
}

/// Runs `future` and says how long it took.
pub async fn timed<F: Future>(future: F) -> (F::Output, Duration) {
    let started = Instant::now();
    let output = future.await;
    (output, started.elapsed())
}

pub fn registration(username: &str) -> Value {
    json!({
        "email": format!("{username}@example.com"),
        "username": username,
        "full_name": "Fault Tolerant",
        "password": PASSWORD,
    })
}

pub async fn register(client: &Client, api: &ApiProcess, username: &str) {
    let response = client
        .post(api.url("/v1/auth/register"))
        .json(&registration(username))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 201, "register {username}\n{}", api.log());
}

/// Logs in and returns `(access_token, refresh_token)`.
pub async fn login(client: &Client, api: &ApiProcess, username: &str) -> (String, String) {
    let response = client
        .post(api.url("/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200, "login {username}\n{}", api.log());
    tokens_of(&response.json().await.expect("a JSON login answer"))
}

pub fn tokens_of(body: &Value) -> (String, String) {
    let access = body["access_token"].as_str().expect("an access token");
    let refresh = body["refresh_token"].as_str().expect("a refresh token");
    (access.to_owned(), refresh.to_owned())
}

/// Creates a todo and returns its id.
pub async fn create_todo(client: &Client, api: &ApiProcess, token: &str, title: &str) -> i64 {
    let response = client
        .post(api.url("/v1/todos"))
        .bearer_auth(token)
        .json(&json!({"title": title, "priority": "high"}))
        .send()
        .await
        .expect("create a todo");
    assert_eq!(response.status(), 201, "create a todo\n{}", api.log());
    let body: Value = response.json().await.expect("a JSON todo");
    body["id"].as_i64().expect("a todo id")
}

/// Asserts a 503 in the error envelope with `Retry-After` and nothing of
/// the driver in the body; returns the request id (to find in the log).
/// `what` names the request in failure messages.
pub async fn assert_unavailable(response: Response, what: &str, api: &ApiProcess) -> String {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let header_id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let text = response.text().await.unwrap_or_default();
    assert_eq!(status, 503, "{what}: {text}\n{}", api.log());
    assert!(
        retry_after
            .as_deref()
            .is_some_and(|s| s.parse::<u64>().is_ok()),
        "{what}: Retry-After {retry_after:?}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    let error = &body["error"];
    assert_eq!(error["status_code"], 503, "{what}: {body}");
    assert_eq!(error["type"], "server_error", "{what}: {body}");
    assert_eq!(
        error["message"], "Service temporarily unavailable",
        "{what}: {body}"
    );
    assert_eq!(
        body["request_id"].as_str(),
        header_id.as_deref(),
        "{what}: {body}"
    );
    let lower = text.to_lowercase();
    for leak in DRIVER_TEXT {
        assert!(
            !lower.contains(leak),
            "{what}: the body shows {leak:?}: {text}"
        );
    }
    header_id.expect("X-Request-ID")
}
