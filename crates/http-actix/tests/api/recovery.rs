//! Account recovery over HTTP (docs/CONTRACT.md, "Accounts: recovery and
//! verification"): forgot-password answers alike for every address and
//! mails only an active user; the reset token works once, expires, dies
//! when a newer one is issued or the password changes; a reset ends every
//! session, clears the failed-login count and mails a notice. The mail is
//! read from the in-memory mailer the test application delivers to,
//! through the outbox and its worker, as in production.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_envelope, assert_unauthorized, header, invalid_fields, json_of,
};

const FORGOT: &str = "/v1/auth/password/forgot";
const RESET: &str = "/v1/auth/password/reset";
pub(crate) const NEW_PASSWORD: &str = "a-new-passphrase-42";

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(FORGOT, &json!({"email": email}), None).await
}

pub(crate) async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        RESET,
        &json!({"token": token, "new_password": password}),
        None,
    )
    .await
}

/// Asks for a reset link for `name@example.com` and returns its token.
pub(crate) async fn reset_token(app: &TestApp, name: &str) -> String {
    let address = format!("{name}@example.com");
    let before = resets_to(app, &address);
    let response = forgot(app, &address).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mail = app.wait_for_mail(&address, RESET_SUBJECT, before + 1).await;
    token_in(&mail.text)
}

/// What the subject of every reset mail contains (`Reset your … password`).
const RESET_SUBJECT: &str = "Reset your";
/// And of a "password changed" notice.
const CHANGED_SUBJECT: &str = "password was changed";

/// Reset mails delivered to `address` so far.
fn resets_to(app: &TestApp, address: &str) -> usize {
    app.mail
        .sent_to(address)
        .iter()
        .filter(|m| m.subject.contains(RESET_SUBJECT))
        .count()
}

/// The token of the link in a mail's text part.
pub fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn a_reset_link_is_mailed_to_an_active_user_and_sets_a_new_password() {
    let app = TestApp::spawn().await;
    let (_, old_token) = app.user("alice").await;
    let response = forgot(&app, "alice@example.com").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"status": "accepted"}));

    let mail = app
        .wait_for_mail("alice@example.com", RESET_SUBJECT, 1)
        .await;
    let token = token_in(&mail.text);
    assert!(token.len() >= 43, "256 bits at least: {token}");
    assert!(mail.html.contains(&token), "the HTML part has the link too");
    assert!(
        mail.text.contains(&format!("/account/reset?token={token}")),
        "{}",
        mail.text
    );

    let response = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The new password works, the old one does not, and every session ended.
    json_of(app.login("alice", NEW_PASSWORD).await, 200).await;
    assert_unauthorized(app.login("alice", PASSWORD).await).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&old_token)).await).await;
    // The link works once.
    let error = assert_envelope(reset(&app, &token, "yet-another-one-7").await, 400).await;
    assert_eq!(error["message"], "Invalid or expired token");
    // And the user is told.
    let notice = app
        .wait_for_mail("alice@example.com", CHANGED_SUBJECT, 1)
        .await;
    assert!(!notice.text.contains(&token), "the notice carries no token");
}

#[tokio::test]
async fn unknown_and_inactive_addresses_get_the_same_answer_and_no_mail() {
    let app = TestApp::spawn().await;
    let (carol, _) = app.user("carol").await;
    app.set_flags(carol["id"].as_i64().unwrap(), None, Some(false))
        .await;
    app.register("dave").await;
    let mut bodies = Vec::new();
    for address in [
        "nobody@example.com",
        "carol@example.com",
        "DAVE@example.com",
    ] {
        let response = forgot(&app, address).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{address}");
        bodies.push(response.text().await.unwrap());
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    // Dave's mail (asked for last, in another case) arrives; the worker
    // delivers oldest first, so anything for the other two would be there.
    app.wait_for_mail("dave@example.com", RESET_SUBJECT, 1)
        .await;
    let resets: Vec<_> = app
        .mail
        .sent()
        .into_iter()
        .filter(|m| m.subject.contains(RESET_SUBJECT))
        .collect();
    assert_eq!(resets.len(), 1, "only the active user's: {resets:?}");
}

#[tokio::test]
async fn a_malformed_address_or_body_is_422_in_the_envelope() {
    let app = TestApp::spawn().await;
    let error = assert_envelope(forgot(&app, "not-an-address").await, 422).await;
    assert_eq!(invalid_fields(&error), ["email"]);
    let error = assert_envelope(app.post_json(FORGOT, &json!({}), None).await, 422).await;
    assert_eq!(invalid_fields(&error), ["email"]);
    let error = assert_envelope(
        app.post_json(RESET, &json!({"token": "x"}), None).await,
        422,
    )
    .await;
    assert_eq!(invalid_fields(&error), ["new_password"]);
}

#[tokio::test]
async fn a_weak_new_password_is_422_and_leaves_the_token_usable() {
    let app = TestApp::spawn().await;
    app.register("erin").await;
    let token = reset_token(&app, "erin").await;
    let error = assert_envelope(reset(&app, &token, "short").await, 422).await;
    assert_eq!(invalid_fields(&error), ["new_password"]);
    let over_72_bytes = "é".repeat(37);
    let error = assert_envelope(reset(&app, &token, &over_72_bytes).await, 422).await;
    assert_eq!(invalid_fields(&error), ["new_password"]);
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 204);
}

#[tokio::test]
async fn unknown_expired_and_superseded_tokens_are_400() {
    let app = TestApp::spawn().await;
    app.register("frank").await;
    for bad in ["", "not-a-token", &"A".repeat(43)] {
        let response = reset(&app, bad, NEW_PASSWORD).await;
        let status = response.status().as_u16();
        // An empty token breaks the body's rules (422); the others are 400.
        assert!(
            status == 400 || (bad.is_empty() && status == 422),
            "{bad:?}: {status}"
        );
        assert_envelope(response, status).await;
    }
    // Only the newest link works.
    let first = reset_token(&app, "frank").await;
    let second = reset_token(&app, "frank").await;
    assert_ne!(first, second);
    assert_envelope(reset(&app, &first, NEW_PASSWORD).await, 400).await;
    // A link lives 30 minutes.
    app.clock().advance(Duration::from_secs(30 * 60 + 1));
    assert_envelope(reset(&app, &second, NEW_PASSWORD).await, 400).await;
    let third = reset_token(&app, "frank").await;
    app.clock().advance(Duration::from_secs(29 * 60));
    assert_eq!(reset(&app, &third, NEW_PASSWORD).await.status(), 204);
}

#[tokio::test]
async fn changing_the_password_kills_the_reset_links_and_mails_the_notice() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("grace").await;
    let link = reset_token(&app, "grace").await;
    let response = app
        .post_json(
            "/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
            Some(&token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_envelope(reset(&app, &link, "some-other-pass-1").await, 400).await;
    app.wait_for_mail("grace@example.com", CHANGED_SUBJECT, 1)
        .await;
}

#[tokio::test]
async fn a_reset_clears_the_failed_login_lockout() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    app.register("heidi").await;
    for _ in 0..3 {
        assert_unauthorized(app.login("heidi", "wrong-password").await).await;
    }
    assert_envelope(app.login("heidi", PASSWORD).await, 429).await;
    let token = reset_token(&app, "heidi").await;
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 204);
    json_of(app.login("heidi", NEW_PASSWORD).await, 200).await;
}

#[tokio::test]
async fn of_twenty_concurrent_resets_with_one_token_exactly_one_succeeds() {
    let app = TestApp::spawn_on_the_system_clock(&[]).await;
    app.register("ivan").await;
    let token = reset_token(&app, "ivan").await;
    let attempts = (0..20).map(|i| {
        let (app, token) = (&app, token.clone());
        async move {
            reset(app, &token, &format!("{NEW_PASSWORD}-{i}"))
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((won, lost), (1, 19), "{statuses:?}");
    // Exactly one of the new passwords took.
    let mut logins = 0;
    for i in 0..20 {
        if app
            .login("ivan", &format!("{NEW_PASSWORD}-{i}"))
            .await
            .status()
            == 200
        {
            logins += 1;
        }
    }
    assert_eq!(logins, 1);
}

#[tokio::test]
async fn requests_are_throttled_per_address_alike_for_unknown_ones() {
    let app = TestApp::spawn_with(&[("RECOVERY_MAX_PER_ADDRESS", "2")]).await;
    app.register("judy").await;
    for address in ["judy@example.com", "nobody@example.com"] {
        for _ in 0..2 {
            assert_eq!(forgot(&app, address).await.status(), 202, "{address}");
        }
        let response = forgot(&app, address).await;
        let retry_after: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
        assert_eq!(retry_after, 3600, "{address}");
        assert_envelope(response, 429).await;
    }
    // The window passes.
    app.clock().advance(Duration::from_secs(3600));
    assert_eq!(forgot(&app, "judy@example.com").await.status(), 202);
}

#[tokio::test]
async fn requests_are_throttled_per_client_address() {
    let app = TestApp::spawn_with(&[("RECOVERY_MAX_PER_IP", "3")]).await;
    for i in 0..3 {
        assert_eq!(
            forgot(&app, &format!("u{i}@example.com")).await.status(),
            202
        );
    }
    assert_envelope(forgot(&app, "u9@example.com").await, 429).await;
}

/// The time of one forgot-password request for `address`, in ms.
async fn forgot_ms(app: &TestApp, address: &str) -> f64 {
    let started = Instant::now();
    assert_eq!(forgot(app, address).await.status(), 202);
    started.elapsed().as_secs_f64() * 1000.0
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

#[tokio::test]
async fn a_known_and_an_unknown_address_take_the_same_time() {
    let app = TestApp::spawn_with(&[("RECOVERY_MAX_PER_ADDRESS", "0")]).await;
    app.register("kim").await;
    // Interleaved, so that a slow moment of the machine lands on both.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        known.push(forgot_ms(&app, "kim@example.com").await);
        unknown.push(forgot_ms(&app, "nobody@example.com").await);
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("forgot-password median of 15: known {known:.1} ms, unknown {unknown:.1} ms");
    assert!(known >= 200.0 && unknown >= 200.0, "{known} / {unknown}");
    assert!((known - unknown).abs() < 25.0, "{known} vs {unknown}");
}

#[tokio::test]
async fn the_reset_page_is_self_contained_and_leaks_no_referrer() {
    let app = TestApp::spawn().await;
    let response = app.get("/account/reset?token=abc", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let csp = header(&response, "content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(!page.contains("abc"), "the page does not echo the token");
    for asset in [
        "/account/assets/account.js",
        "/account/assets/reset.js",
        "/account/assets/account.css",
    ] {
        assert!(page.contains(asset), "{asset}");
        let response = app.get(asset, None).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            header(&response, "referrer-policy").as_deref(),
            Some("no-referrer")
        );
    }
}
