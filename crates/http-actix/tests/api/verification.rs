//! Email verification over HTTP (docs/CONTRACT.md, "Accounts: recovery and
//! verification"): registration mails a link, the link's token verifies
//! the address once, a fresh link replaces the old one, a change of address
//! unverifies it, mails the new address a link and the old one a notice;
//! `REQUIRE_VERIFIED_EMAIL` refuses unverified logins; an administrator can
//! mail anyone a reset link.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_envelope, header, id_of, json_of};
use crate::recovery::token_in;

const VERIFY: &str = "/v1/auth/verify-email";
const SEND: &str = "/v1/auth/verify-email/send";
const SUBJECT: &str = "Confirm your email";

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json(VERIFY, &json!({"token": token}), None).await
}

/// The token of the `count`-th verification link mailed to `address`.
async fn link(app: &TestApp, address: &str, count: usize) -> String {
    token_in(&app.wait_for_mail(address, SUBJECT, count).await.text)
}

async fn me(app: &TestApp, token: &str) -> Value {
    json_of(app.get("/v1/auth/me", Some(token)).await, 200).await
}

#[tokio::test]
async fn registration_mails_a_link_that_verifies_the_address_once() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("vera").await;
    assert_eq!(user["email_verified"], false);
    let mail = app.wait_for_mail("vera@example.com", SUBJECT, 1).await;
    let link_token = token_in(&mail.text);
    assert!(
        mail.text
            .contains(&format!("/account/verify?token={link_token}")),
        "{}",
        mail.text
    );
    assert!(mail.html.contains(&link_token));

    let verified = json_of(verify(&app, &link_token).await, 200).await;
    assert_eq!(verified["email_verified"], true);
    assert_eq!(verified["id"], user["id"]);
    assert_eq!(me(&app, &token).await["email_verified"], true);
    let error = assert_envelope(verify(&app, &link_token).await, 400).await;
    assert_eq!(error["message"], "Invalid or expired token");
}

#[tokio::test]
async fn a_fresh_link_replaces_the_old_one_and_a_verified_address_gets_none() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("walt").await;
    let first = link(&app, "walt@example.com", 1).await;
    assert_eq!(
        app.post(SEND, Some(&token)).await.status(),
        StatusCode::ACCEPTED
    );
    let second = link(&app, "walt@example.com", 2).await;
    assert_ne!(first, second);
    assert_envelope(verify(&app, &first).await, 400).await;
    json_of(verify(&app, &second).await, 200).await;
    // Verified: the same answer, and no mail.
    let response = app.post(SEND, Some(&token)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "accepted"})
    );
    // A later mail would be a third one; a forgot-password request queued
    // after it arrives first, so there is none.
    app.post_json(
        "/v1/auth/password/forgot",
        &json!({"email": "walt@example.com"}),
        None,
    )
    .await;
    app.wait_for_mail("walt@example.com", "Reset your", 1).await;
    assert_eq!(
        app.mail
            .sent_to("walt@example.com")
            .iter()
            .filter(|m| m.subject.contains(SUBJECT))
            .count(),
        2
    );
    // Anonymous: 401.
    assert_envelope(app.post(SEND, None).await, 401).await;
}

#[tokio::test]
async fn a_link_expires_after_its_lifetime() {
    let app = TestApp::spawn_with(&[("EMAIL_VERIFY_TOKEN_HOURS", "1")]).await;
    app.register("xena").await;
    let token = link(&app, "xena@example.com", 1).await;
    app.clock().advance(std::time::Duration::from_secs(3600));
    assert_envelope(verify(&app, &token).await, 400).await;
}

#[tokio::test]
async fn a_change_of_address_unverifies_it_and_mails_both_addresses() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("yuri").await;
    let id = id_of(&user);
    let old_link = link(&app, "yuri@example.com", 1).await;
    json_of(
        verify(&app, &link(&app, "yuri@example.com", 1).await).await,
        200,
    )
    .await;
    let fresh = link(&app, "yuri@example.com", 1).await;
    assert_eq!(fresh, old_link);

    // Only the case changes: the same address, still verified.
    let same = json_of(
        app.patch_json(
            &format!("/v1/users/{id}"),
            &json!({"email": "YURI@example.com"}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["email_verified"], true);

    let changed = json_of(
        app.patch_json(
            &format!("/v1/users/{id}"),
            &json!({"email": "yuri@new.example.org"}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["email_verified"], false);
    let new_link = link(&app, "yuri@new.example.org", 1).await;
    let notice = app
        .wait_for_mail("YURI@example.com", "email address was changed", 1)
        .await;
    assert!(
        !notice.text.contains("token="),
        "the notice carries no link token"
    );
    json_of(verify(&app, &new_link).await, 200).await;
    assert_eq!(me(&app, &token).await["email_verified"], true);
}

#[tokio::test]
async fn a_link_to_an_address_the_user_left_proves_nothing() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("zora").await;
    let old = link(&app, "zora@example.com", 1).await;
    json_of(
        app.patch_json(
            &format!("/v1/users/{}", id_of(&user)),
            &json!({"email": "zora@elsewhere.example.org"}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_envelope(verify(&app, &old).await, 400).await;
    assert_eq!(me(&app, &token).await["email_verified"], false);
}

#[tokio::test]
async fn of_twenty_concurrent_verifications_with_one_token_exactly_one_succeeds() {
    let app = TestApp::spawn_on_the_system_clock(&[]).await;
    app.register("ulla").await;
    let token = link(&app, "ulla@example.com", 1).await;
    let attempts = (0..20).map(|_| {
        let (app, token) = (&app, token.clone());
        async move { verify(app, &token).await.status() }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((won, lost), (1, 19), "{statuses:?}");
}

#[tokio::test]
async fn bad_tokens_are_400_and_a_missing_one_422() {
    let app = TestApp::spawn().await;
    for bad in ["nope", &"B".repeat(43)] {
        assert_envelope(verify(&app, bad).await, 400).await;
    }
    assert_envelope(app.post_json(VERIFY, &json!({}), None).await, 422).await;
}

#[tokio::test]
async fn with_require_verified_email_an_unverified_login_is_403() {
    let app = TestApp::spawn_with(&[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    app.register("nina").await;
    let error = assert_envelope(app.login("nina", PASSWORD).await, 403).await;
    assert_eq!(error["message"], "Email address not verified");
    // A wrong password is still the ordinary 401.
    assert_envelope(app.login("nina", "wrong-password").await, 401).await;
    json_of(
        verify(&app, &link(&app, "nina@example.com", 1).await).await,
        200,
    )
    .await;
    json_of(app.login("nina", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn an_admin_mails_a_user_a_reset_link() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let (user, member) = app.user("otto").await;
    let path = format!("/v1/users/{}/password-reset", id_of(&user));
    let response = app.post(&path, Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mail = app.wait_for_mail("otto@example.com", "Reset your", 1).await;
    let token = token_in(&mail.text);
    let response = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": "set-by-a-link-9"}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // Not an admin: 403 (even for oneself); no such user: 404; anonymous: 401.
    let own = format!("/v1/users/{}/password-reset", id_of(&user));
    assert_envelope(app.post(&own, Some(&member)).await, 401).await;
    let (_, other) = app.user("olga").await;
    assert_envelope(app.post(&own, Some(&other)).await, 403).await;
    assert_envelope(
        app.post("/v1/users/999999/password-reset", Some(&admin))
            .await,
        404,
    )
    .await;
    assert_envelope(app.post(&own, None).await, 401).await;
}

#[tokio::test]
async fn the_verify_page_is_self_contained_and_leaks_no_referrer() {
    let app = TestApp::spawn().await;
    let response = app.get("/account/verify?token=abc", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert!(
        header(&response, "content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("/account/assets/verify.js") && !page.contains("abc"));
    assert_eq!(
        app.get("/account/assets/verify.js", None).await.status(),
        200
    );
}
