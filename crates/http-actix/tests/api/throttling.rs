//! Login and registration throttling: per account, per client address,
//! `X-Forwarded-For` only from trusted proxies, and counted in the shared
//! database (so across instances). The windows pass by moving the
//! application's clock: while it stands still, every `Retry-After` is the
//! whole window.

use std::time::Duration;

use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, assert_envelope, assert_unauthorized, header, json_of, registration,
};

const LOGIN: &str = "/v1/auth/login";

/// A login attempt as if from `forwarded_for` (sent as `X-Forwarded-For`).
async fn login_via(app: &TestApp, name: &str, password: &str, forwarded_for: &str) -> Response {
    app.request(Method::POST, LOGIN, None)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Asserts a 429 envelope with a sensible `Retry-After`; returns it in seconds.
async fn assert_throttled(response: Response, window: u64) -> u64 {
    let retry_after: u64 = header(&response, "retry-after")
        .expect("Retry-After on a 429")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=window).contains(&retry_after), "{retry_after}");
    let error = assert_envelope(response, 429).await;
    assert!(
        !error
            .to_string()
            .to_ascii_lowercase()
            .contains("password\":"),
        "{error}"
    );
    retry_after
}

#[tokio::test]
async fn after_five_failures_the_account_is_throttled_even_with_the_right_password() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]).await;
    app.register("alice").await;
    for _ in 0..5 {
        assert_unauthorized(app.login("alice", "wrong-password").await).await;
    }
    let retry_after = assert_throttled(app.login("alice", PASSWORD).await, 900).await;
    assert_eq!(retry_after, 900, "the window is 15 minutes");
    // The count is per account, whatever the case of the name.
    assert_throttled(app.login("ALICE", PASSWORD).await, 900).await;
    // Other accounts are not affected.
    app.register("bob").await;
    json_of(app.login("bob", PASSWORD).await, 200).await;
    // Counted in /metrics, by route.
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("throttled_requests_total{route=\"/v1/auth/login\"} 2")),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_accounts_username_and_email_share_one_counter() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "4")]).await;
    app.register("alice").await;
    for name in ["alice", "alice@example.com", "ALICE", "Alice@Example.com"] {
        assert_unauthorized(app.login(name, "wrong-password").await).await;
    }
    assert_throttled(app.login("alice@example.com", PASSWORD).await, 900).await;
    assert_throttled(app.login("alice", PASSWORD).await, 900).await;
}

#[tokio::test]
async fn wrong_current_passwords_count_against_the_account_too() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    let (_, token) = app.user("alice").await;
    let change = |current: &'static str| {
        app.request(Method::POST, "/v1/auth/password", Some(&token))
            .json(&json!({"current_password": current, "new_password": "a-new-password-1"}))
            .send()
    };
    for _ in 0..3 {
        assert_unauthorized(change("not-my-password").await.unwrap()).await;
    }
    // Now even the right current password is refused, and logins share the count.
    assert_throttled(change(PASSWORD).await.unwrap(), 900).await;
    assert_throttled(app.login("alice", PASSWORD).await, 900).await;
}

#[tokio::test]
async fn the_window_and_limit_are_settings() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "2"),
        ("LOGIN_FAILURE_WINDOW_SECONDS", "60"),
    ])
    .await;
    app.register("alice").await;
    for _ in 0..2 {
        assert_unauthorized(app.login("alice", "wrong-password").await).await;
    }
    assert_eq!(
        assert_throttled(app.login("alice", PASSWORD).await, 60).await,
        60
    );
}

#[tokio::test]
async fn a_throttled_account_is_admitted_again_once_its_oldest_failure_leaves_the_window() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "2"),
        ("LOGIN_FAILURE_WINDOW_SECONDS", "60"),
    ])
    .await;
    app.register("alice").await;
    assert_unauthorized(app.login("alice", "wrong-password").await).await;
    app.clock().advance(Duration::from_secs(10));
    assert_unauthorized(app.login("alice", "wrong-password").await).await;
    // Until the first failure is 60 s old.
    assert_eq!(
        assert_throttled(app.login("alice", PASSWORD).await, 60).await,
        50
    );
    app.clock().advance(Duration::from_secs(49));
    assert_eq!(
        assert_throttled(app.login("alice", PASSWORD).await, 60).await,
        1
    );
    // A second later only the second failure is in the window: one of two.
    app.clock().advance(Duration::from_secs(2));
    json_of(app.login("alice", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn a_success_before_the_limit_clears_the_accounts_count() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]).await;
    app.register("alice").await;
    for _ in 0..4 {
        assert_unauthorized(app.login("alice", "wrong-password").await).await;
    }
    json_of(app.login("alice", PASSWORD).await, 200).await;
    for _ in 0..4 {
        assert_unauthorized(app.login("alice", "wrong-password").await).await;
    }
    json_of(app.login("alice", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn twenty_failures_from_one_address_throttle_that_address() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_IP", "20")]).await;
    app.register("alice").await;
    for i in 0..20 {
        assert_unauthorized(app.login(&format!("nobody{i}"), "wrong-password").await).await;
    }
    // Another account, the right password: the address is throttled.
    assert_eq!(
        assert_throttled(app.login("alice", PASSWORD).await, 900).await,
        900
    );
    // Until the window has passed.
    app.clock().advance(Duration::from_secs(901));
    json_of(app.login("alice", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_IP", "3")]).await;
    app.register("alice").await;
    // Rotating the header escapes nothing: the peer (127.0.0.1) is counted.
    for i in 0..3 {
        let response =
            login_via(&app, &format!("nobody{i}"), "x", &format!("198.51.100.{i}")).await;
        assert_unauthorized(response).await;
    }
    let response = login_via(&app, "alice", PASSWORD, "198.51.100.99").await;
    assert_throttled(response, 900).await;
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_is_honoured() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_IP", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    app.register("alice").await;
    for i in 0..3 {
        // The client forged a first entry; the proxy appended the real one.
        let response = login_via(&app, &format!("nobody{i}"), "x", "10.9.9.9, 198.51.100.1").await;
        assert_unauthorized(response).await;
    }
    assert_throttled(
        login_via(&app, "alice", PASSWORD, "198.51.100.1").await,
        900,
    )
    .await;
    // Another client behind the same proxy is not.
    let body = json_of(
        login_via(&app, "alice", PASSWORD, "198.51.100.2").await,
        200,
    )
    .await;
    // And its session records its own address.
    let token = body["access_token"].as_str().unwrap();
    let sessions = json_of(app.get("/v1/auth/sessions", Some(token)).await, 200).await;
    assert_eq!(sessions[0]["ip"], "198.51.100.2");
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = TestApp::spawn_with(&[("REGISTER_MAX_PER_IP", "3")]).await;
    for i in 0..3 {
        app.register(&format!("user{i}")).await;
    }
    let response = app.register_with(&registration("user3")).await;
    assert_eq!(assert_throttled(response, 3600).await, 3600);
    // Nothing was created.
    assert_unauthorized(app.login("user3", PASSWORD).await).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("throttled_requests_total{route=\"/v1/auth/register\"} 1")),
        "{metrics}"
    );
    // An hour later the address may register again.
    app.clock().advance(Duration::from_secs(3601));
    app.register("user3").await;
}

#[tokio::test]
async fn throttling_is_counted_across_instances() {
    let a = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]).await;
    let b = a
        .spawn_beside(&[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5"),
            ("LOGIN_MAX_FAILURES_PER_IP", "10000"),
        ])
        .await;
    a.register("alice").await;
    for _ in 0..3 {
        assert_unauthorized(a.login("alice", "wrong-password").await).await;
    }
    for _ in 0..2 {
        assert_unauthorized(b.login("alice", "wrong-password").await).await;
    }
    assert_throttled(a.login("alice", PASSWORD).await, 900).await;
    assert_throttled(b.login("alice", PASSWORD).await, 900).await;
    // The instances share the clock, too: once the window has passed,
    // both admit the account.
    a.clock().advance(Duration::from_secs(901));
    json_of(b.login("alice", PASSWORD).await, 200).await;
}
