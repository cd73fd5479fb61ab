//! `GET /metrics`: Prometheus text after real traffic. Each test application
//! has its own registry, so the numbers below are exact.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_envelope, id_of, sample, scrape};

#[tokio::test]
async fn requests_are_counted_by_route_template_never_the_raw_path() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("metered").await;
    let todo = app.create_todo(&token, "count me").await;
    let missing = id_of(&todo) + 1000;
    let response = app.get(&format!("/v1/todos/{missing}"), Some(&token)).await;
    assert_envelope(response, 404).await;
    let found = app
        .get(&format!("/v1/todos/{}", id_of(&todo)), Some(&token))
        .await;
    assert_eq!(found.status(), StatusCode::OK);
    assert_envelope(app.get("/no/such/route", None).await, 404).await;

    let text = scrape(&app).await;
    let requests = |method, route, status| {
        sample(
            &text,
            "http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("POST", "/v1/auth/register", "201"), Some(1.0));
    assert_eq!(requests("POST", "/v1/auth/login", "200"), Some(1.0));
    assert_eq!(requests("POST", "/v1/todos", "201"), Some(1.0));
    assert_eq!(requests("GET", "/v1/todos/{id}", "404"), Some(1.0));
    assert_eq!(requests("GET", "/v1/todos/{id}", "200"), Some(1.0));
    assert_eq!(requests("GET", "unmatched", "404"), Some(1.0), "{text}");
    assert!(
        !text.contains(&format!("/v1/todos/{missing}")),
        "a raw path with an id leaked into a label:\n{text}"
    );
    assert!(!text.contains("/no/such/route"), "{text}");
}

#[tokio::test]
async fn the_latency_histogram_has_buckets_sum_and_count_per_route() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        assert_eq!(app.get("/v1/health", None).await.status(), StatusCode::OK);
    }
    let text = scrape(&app).await;
    let labels = [("method", "GET"), ("route", "/v1/health")];
    assert_eq!(
        sample(&text, "http_request_duration_seconds_count", &labels),
        Some(3.0),
        "{text}"
    );
    let sum = sample(&text, "http_request_duration_seconds_sum", &labels).unwrap();
    assert!(sum > 0.0 && sum < 30.0, "{sum}");
    let inf = [("method", "GET"), ("route", "/v1/health"), ("le", "+Inf")];
    assert_eq!(
        sample(&text, "http_request_duration_seconds_bucket", &inf),
        Some(3.0)
    );
    let fast = [("method", "GET"), ("route", "/v1/health"), ("le", "0.005")];
    let under_5ms = sample(&text, "http_request_duration_seconds_bucket", &fast).unwrap();
    assert!((0.0..=3.0).contains(&under_5ms), "{under_5ms}");
    assert!(
        text.contains("# TYPE http_request_duration_seconds histogram"),
        "{text}"
    );
}

#[tokio::test]
async fn failed_logins_are_counted_and_other_401s_are_not() {
    let app = TestApp::spawn().await;
    app.register("doorman").await;
    let wrong = app.login("doorman", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = app.login("nobody_here", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("doorman", PASSWORD).await.status(),
        StatusCode::OK
    );
    // A 401 elsewhere is not a failed login.
    let me = app.get("/v1/auth/me", Some("not-a-token")).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    let text = scrape(&app).await;
    assert_eq!(sample(&text, "auth_login_failures_total", &[]), Some(2.0));
    assert_eq!(
        sample(
            &text,
            "http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/v1/auth/login"),
                ("status", "401")
            ]
        ),
        Some(2.0)
    );
}

#[tokio::test]
async fn metrics_need_no_token_and_count_their_own_scrapes() {
    let app = TestApp::spawn().await;
    scrape(&app).await;
    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            "http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "200")]
        ),
        Some(1.0),
        "the first scrape is counted by the second:\n{text}"
    );
}

#[tokio::test]
async fn metrics_disabled_is_a_404_in_the_envelope() {
    let app = TestApp::spawn_with(&[("METRICS_ENABLED", "false")]).await;
    assert_envelope(app.get("/metrics", None).await, 404).await;
    // The rest of the API is unaffected.
    let response = app
        .post_json(
            "/v1/auth/login",
            &json!({"username": "x_nobody", "password": PASSWORD}),
            None,
        )
        .await;
    assert_envelope(response, 401).await;
}
