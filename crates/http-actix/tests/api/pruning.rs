//! Pruning at the edges of the refresh-token rules: a pass deletes only what
//! is already refused, so every answer is the same before and after it (the
//! rest of the suite shows it too: the helpers prune before each request).
//! And the background task: every `PRUNE_INTERVAL_SECONDS`, counted in
//! `pruned_rows_total`.

use std::time::{Duration, Instant};

use domain::ports::Pruned;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, assert_unauthorized, json_of, sample, tokens_of};

/// What pruning deletes of one ended session that rotated once.
const ONE_SESSION_TWO_TOKENS: Pruned = Pruned {
    sessions: 1,
    refresh_tokens: 2,
    login_attempts: 0,
    outbox: 0,
    account_tokens: 0,
};

/// The 401 of a refresh, without its request id (which differs per request).
async fn refused(app: &TestApp, refresh: &str) -> Value {
    let mut error = assert_unauthorized(app.refresh(refresh).await).await;
    if let Some(error) = error.as_object_mut() {
        error.remove("request_id");
    }
    error
}

#[tokio::test]
async fn a_live_sessions_spent_token_survives_pruning_for_the_grace_window_and_reuse_detection() {
    let app = TestApp::spawn_with(&[("REFRESH_REUSE_GRACE_SECONDS", "10")]).await;
    app.register("alice").await;
    let (_, first) = app.pair_for("alice").await;
    let pair = json_of(app.refresh(&first).await, 200).await;
    let (_, second) = tokens_of(&pair);

    // Within the grace window, after a pass: the spent token is still
    // there, and a retry still gets the very same pair.
    app.clock().advance(Duration::from_secs(5));
    assert_eq!(app.prune().await, Pruned::default());
    let retry = json_of(app.refresh(&first).await, 200).await;
    assert_eq!(retry["refresh_token"], pair["refresh_token"]);
    assert_eq!(retry["access_token"], pair["access_token"]);

    // After it, a pass still keeps the spent token of the live session, so
    // its replay is caught and ends the session.
    app.clock().advance(Duration::from_secs(6));
    assert_eq!(app.prune().await, Pruned::default());
    let reused = refused(&app, &first).await;
    assert_eq!(refused(&app, &second).await, reused, "the family is dead");

    // Once the revoked session is past the margin it goes, and its tokens
    // are refused exactly as before.
    app.clock().advance(Duration::from_secs(61));
    assert_eq!(app.prune().await, ONE_SESSION_TWO_TOKENS);
    assert_eq!(refused(&app, &first).await, reused);
    assert_eq!(refused(&app, &second).await, reused);
}

#[tokio::test]
async fn a_token_spent_a_moment_before_its_session_expires_is_refused_alike_before_and_after_pruning()
 {
    let app = TestApp::spawn_with(&[
        ("REFRESH_TOKEN_EXPIRE_DAYS", "1"),
        ("REFRESH_REUSE_GRACE_SECONDS", "10"),
    ])
    .await;
    app.register("alice").await;
    let (_, first) = app.pair_for("alice").await;

    // A second before the session expires: spent, and retried within the
    // grace window half a second later.
    app.clock()
        .advance(Duration::from_secs(24 * 3600) - Duration::from_secs(1));
    let pair = json_of(app.refresh(&first).await, 200).await;
    let (_, second) = tokens_of(&pair);
    app.clock().advance(Duration::from_millis(500));
    assert_eq!(app.prune().await, Pruned::default(), "the session is live");
    let retry = json_of(app.refresh(&first).await, 200).await;
    assert_eq!(retry["refresh_token"], pair["refresh_token"]);

    // Expired, not yet past the margin: refused, and kept.
    app.clock().advance(Duration::from_secs(1));
    let spent = refused(&app, &first).await;
    let current = refused(&app, &second).await;
    assert_eq!(app.prune().await, Pruned::default(), "within the margin");

    // Past the margin: deleted, and refused with the same answers.
    app.clock().advance(Duration::from_secs(60));
    assert_eq!(app.prune().await, ONE_SESSION_TWO_TOKENS);
    assert_eq!(refused(&app, &first).await, spent);
    assert_eq!(refused(&app, &second).await, current);
}

#[tokio::test]
async fn the_server_prunes_every_interval_and_counts_the_rows_in_its_metrics() {
    let app = TestApp::spawn_with(&[("PRUNE_INTERVAL_SECONDS", "1")]).await;
    app.register("alice").await;
    let (access, _) = app.pair_for("alice").await;
    assert_eq!(
        app.post("/v1/auth/logout", Some(&access)).await.status(),
        204
    );
    app.clock().advance(Duration::from_secs(61));

    // Scraped without the helpers' own pass: only the server's task prunes.
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let text = app
            .request(Method::GET, "/metrics", None)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let pruned = sample(&text, "pruned_rows_total", &[("table", "sessions")]);
        if pruned == Some(1.0) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(
        sample(&text, "pruned_rows_total", &[("table", "sessions")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "pruned_rows_total", &[("table", "refresh_tokens")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "pruned_rows_total", &[("table", "login_attempts")]),
        Some(0.0)
    );
    assert_eq!(app.prune().await, Pruned::default(), "nothing left");
}
