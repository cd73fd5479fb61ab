//! Sessions and refresh tokens: rotation, replay within and after the grace
//! window, logout (current and all), the session list, ending a session,
//! password change, and deactivation.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use domain::ports::Clock;

use crate::helpers::{
    PASSWORD, TestApp, assert_envelope, assert_unauthorized, header, id_of, json_of, jwt_parts,
    timestamp, tokens_of,
};

/// A login's body, with `user_agent` as the `User-Agent`.
async fn login_as(app: &TestApp, name: &str, user_agent: &str) -> Value {
    let response = app
        .request(Method::POST, "/v1/auth/login", None)
        .header(reqwest::header::USER_AGENT, user_agent)
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    json_of(response, 200).await
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    json_of(app.get("/v1/auth/sessions", Some(token)).await, 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

fn is_url_safe(token: &str) -> bool {
    token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[tokio::test]
async fn login_returns_a_refresh_token_and_its_lifetime() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app.login("alice", PASSWORD).await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let body = json_of(response, 200).await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["refresh_expires_in"], 2_592_000);
    let (access, refresh) = tokens_of(&body);
    assert!(refresh.len() >= 43, "{refresh}: fewer than 256 bits");
    assert!(is_url_safe(&refresh), "{refresh}");
    assert_ne!(access, refresh);
    // Another login: another refresh token.
    let (_, again) = app.pair_for("alice").await;
    assert_ne!(again, refresh);
}

#[tokio::test]
async fn the_oauth2_form_login_returns_a_refresh_token_too() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/login",
            Some("application/x-www-form-urlencoded"),
            format!("grant_type=password&username=alice&password={PASSWORD}"),
            None,
        )
        .await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let body = json_of(response, 200).await;
    let (_, refresh) = tokens_of(&body);
    assert_eq!(body["refresh_expires_in"], 2_592_000);
    json_of(app.refresh(&refresh).await, 200).await;
}

#[tokio::test]
async fn the_refresh_lifetime_comes_from_the_settings() {
    let app = TestApp::spawn_with(&[("REFRESH_TOKEN_EXPIRE_DAYS", "2")]).await;
    app.register("alice").await;
    let body = json_of(app.login("alice", PASSWORD).await, 200).await;
    assert_eq!(body["refresh_expires_in"], 2 * 86_400);
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_spends_the_old_refresh_token() {
    let app = TestApp::spawn_with(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    app.clock().advance(Duration::from_secs(60));
    let response = app.refresh(&refresh).await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let body = json_of(response, 200).await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(
        body["refresh_expires_in"],
        2_592_000 - 60,
        "the session keeps its expiry"
    );
    let (new_access, new_refresh) = tokens_of(&body);
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh);
    assert!(new_refresh.len() >= 43 && is_url_safe(&new_refresh));
    // The same session.
    assert_eq!(jwt_parts(&new_access).1["sid"], jwt_parts(&access).1["sid"]);
    // The old access token lives until it expires; the new one works.
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
    json_of(app.get("/v1/auth/me", Some(&new_access)).await, 200).await;
    // The successor refreshes in turn (past the zero grace window, so that
    // a replay would not be taken for a retry).
    app.clock().advance(Duration::from_secs(1));
    let third = json_of(app.refresh(&new_refresh).await, 200).await;
    assert_ne!(tokens_of(&third).1, new_refresh);
    assert_eq!(third["refresh_expires_in"], 2_592_000 - 61);
}

#[tokio::test]
async fn a_replay_within_the_grace_window_answers_the_same_pair() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (_, refresh) = app.pair_for("alice").await;
    let first = app.refresh(&refresh).await.text().await.unwrap();
    // The last instant of the (default, 10 s) grace window.
    app.clock().advance(Duration::from_secs(10));
    let second = app.refresh(&refresh).await;
    assert_eq!(second.status(), 200);
    let second = second.text().await.unwrap();
    let first: Value = serde_json::from_str(&first).unwrap();
    let second: Value = serde_json::from_str(&second).unwrap();
    assert_eq!(
        first["access_token"], second["access_token"],
        "byte-identical access tokens"
    );
    assert_eq!(
        first["refresh_token"], second["refresh_token"],
        "byte-identical refresh tokens"
    );
    // The session is intact: the successor works.
    let (access, successor) = tokens_of(&second);
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
    json_of(app.refresh(&successor).await, 200).await;
}

#[tokio::test]
async fn a_replay_after_the_grace_window_revokes_the_whole_session() {
    let app = TestApp::spawn_with(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    app.register("alice").await;
    let (first_access, refresh) = app.pair_for("alice").await;
    let (other_access, other_refresh) = app.pair_for("alice").await;
    let body = json_of(app.refresh(&refresh).await, 200).await;
    let (access, successor) = tokens_of(&body);
    app.clock().advance(Duration::from_secs(1));
    // The thief (or the victim) replays the spent token.
    assert_unauthorized(app.refresh(&refresh).await).await;
    // The whole family is dead at once: successor and access tokens.
    assert_unauthorized(app.refresh(&successor).await).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&first_access)).await).await;
    // Another session of the same user is untouched.
    json_of(app.get("/v1/auth/me", Some(&other_access)).await, 200).await;
    json_of(app.refresh(&other_refresh).await, 200).await;
}

#[tokio::test]
async fn the_grace_window_ends_a_microsecond_after_its_last_second() {
    let app = TestApp::spawn_with(&[("REFRESH_REUSE_GRACE_SECONDS", "5")]).await;
    app.register("alice").await;
    let (_, refresh) = app.pair_for("alice").await;
    let first = json_of(app.refresh(&refresh).await, 200).await;
    app.clock().advance(Duration::from_secs(5));
    let retry = json_of(app.refresh(&refresh).await, 200).await;
    assert_eq!(retry["refresh_token"], first["refresh_token"]);
    assert_eq!(retry["access_token"], first["access_token"]);
    app.clock().advance(Duration::from_micros(1));
    assert_unauthorized(app.refresh(&refresh).await).await;
    // The session is revoked: its successor with it.
    assert_unauthorized(app.refresh(&tokens_of(&first).1).await).await;
}

#[tokio::test]
async fn unknown_and_garbage_refresh_tokens_are_401() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (_, refresh) = app.pair_for("alice").await;
    let mut flipped = refresh.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    let long = "x".repeat(1024);
    for garbage in [
        "garbage",
        "A",
        flipped.as_str(),
        "' OR 1=1 --",
        "../../etc/passwd",
        long.as_str(),
        "mF3kq0sV9x2p7JcQe1uYtLw8ZbN4aR6dHg5iKo0PjSs",
    ] {
        assert_unauthorized(app.refresh(garbage).await).await;
    }
    // Malformed bodies are 422, never 500.
    for body in [
        json!({}),
        json!({"refresh_token": ""}),
        json!({"refresh_token": 5}),
    ] {
        assert_envelope(app.post_json("/v1/auth/refresh", &body, None).await, 422).await;
    }
    let nul = app.refresh("abc\u{0}def").await;
    assert!(
        matches!(nul.status().as_u16(), 401 | 422),
        "{}",
        nul.status()
    );
    // The genuine one still works.
    json_of(app.refresh(&refresh).await, 200).await;
}

#[tokio::test]
async fn logout_ends_the_current_session_only() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    let (other_access, other_refresh) = app.pair_for("alice").await;
    let response = app.post("/v1/auth/logout", Some(&access)).await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(app.refresh(&refresh).await).await;
    assert_unauthorized(app.post("/v1/auth/logout", Some(&access)).await).await;
    json_of(app.get("/v1/auth/me", Some(&other_access)).await, 200).await;
    json_of(app.refresh(&other_refresh).await, 200).await;
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (bob_access, _) = {
        app.register("bob").await;
        app.pair_for("bob").await
    };
    let (access, refresh) = app.pair_for("alice").await;
    let (other_access, other_refresh) = app.pair_for("alice").await;
    let response = app.post("/v1/auth/logout?all=true", Some(&access)).await;
    assert_eq!(response.status(), 204);
    for token in [&access, &other_access] {
        assert_unauthorized(app.get("/v1/auth/me", Some(token)).await).await;
    }
    for token in [&refresh, &other_refresh] {
        assert_unauthorized(app.refresh(token).await).await;
    }
    // Someone else's sessions are not touched; logging in again works.
    json_of(app.get("/v1/auth/me", Some(&bob_access)).await, 200).await;
    let again = app.token_for("alice").await;
    json_of(app.get("/v1/auth/me", Some(&again)).await, 200).await;
}

#[tokio::test]
async fn logout_with_a_bad_all_is_422_and_logs_nobody_out() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    assert_envelope(
        app.post("/v1/auth/logout?all=maybe", Some(&token)).await,
        422,
    )
    .await;
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_unauthorized(app.post("/v1/auth/logout", None).await).await;
}

#[tokio::test]
async fn the_session_list_shows_the_callers_live_sessions_and_marks_the_current_one() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    app.register("bob").await;
    app.pair_for("bob").await;
    let first = login_as(&app, "alice", "first-agent/1.0").await;
    let second = login_as(&app, "alice", "second-agent/2.0").await;
    let ended = login_as(&app, "alice", "ended-agent/3.0").await;
    let (ended_access, _) = tokens_of(&ended);
    assert_eq!(
        app.post("/v1/auth/logout", Some(&ended_access))
            .await
            .status(),
        204
    );

    let (first_access, _) = tokens_of(&first);
    let list = sessions(&app, &first_access).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{list:?}");
    assert_eq!(current[0]["user_agent"], "first-agent/1.0");
    assert_eq!(
        current[0]["id"].to_string(),
        jwt_parts(&first_access).1["sid"]
            .to_string()
            .trim_matches('"')
    );
    for session in &list {
        assert!(session["id"].as_i64().is_some_and(|id| id > 0), "{session}");
        assert_eq!(session["ip"], "127.0.0.1");
        for field in ["created_at", "last_used_at", "expires_at"] {
            crate::helpers::timestamp(&session[field]);
        }
        let keys: Vec<&String> = session.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7, "{session}");
        assert!(!session.to_string().contains(&tokens_of(&first).1));
    }
    // Newest first.
    assert_eq!(list[0]["user_agent"], "second-agent/2.0");
    let (second_access, _) = tokens_of(&second);
    let list = sessions(&app, &second_access).await;
    let current = list.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["user_agent"], "second-agent/2.0");
}

#[tokio::test]
async fn a_refresh_moves_last_used_at() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let opened = app.clock().now();
    let (access, refresh) = app.pair_for("alice").await;
    let before = sessions(&app, &access).await[0].clone();
    assert_eq!(timestamp(&before["created_at"]), opened);
    assert_eq!(timestamp(&before["last_used_at"]), opened);
    assert_eq!(
        timestamp(&before["expires_at"]),
        opened + chrono::TimeDelta::days(30)
    );
    app.clock().advance(Duration::from_millis(1234));
    let refreshed = app.clock().now();
    let (new_access, _) = tokens_of(&json_of(app.refresh(&refresh).await, 200).await);
    let after = sessions(&app, &new_access).await[0].clone();
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["created_at"], before["created_at"]);
    assert_eq!(timestamp(&after["last_used_at"]), refreshed);
    // A refresh does not extend the session.
    assert_eq!(after["expires_at"], before["expires_at"]);
}

#[tokio::test]
async fn ending_one_of_my_sessions_refuses_its_tokens() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (access, _) = app.pair_for("alice").await;
    let (other_access, other_refresh) = app.pair_for("alice").await;
    let other_id = jwt_parts(&other_access).1["sid"].clone();
    let other_id = other_id
        .as_i64()
        .unwrap_or_else(|| other_id.as_str().unwrap().parse().unwrap());
    let response = app
        .delete(&format!("/v1/auth/sessions/{other_id}"), Some(&access))
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.get("/v1/auth/me", Some(&other_access)).await).await;
    assert_unauthorized(app.refresh(&other_refresh).await).await;
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
    // Again: it is no longer live.
    let again = app
        .delete(&format!("/v1/auth/sessions/{other_id}"), Some(&access))
        .await;
    assert_envelope(again, 404).await;
}

#[tokio::test]
async fn ending_someone_elses_session_is_404_and_leaves_it_alone() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    app.register("bob").await;
    let (alice, _) = app.pair_for("alice").await;
    let (bob, bob_refresh) = app.pair_for("bob").await;
    let bob_sid = sessions(&app, &bob).await[0]["id"].as_i64().unwrap();
    let error = assert_envelope(
        app.delete(&format!("/v1/auth/sessions/{bob_sid}"), Some(&alice))
            .await,
        404,
    )
    .await;
    assert_eq!(error["message"], "Session not found");
    json_of(app.get("/v1/auth/me", Some(&bob)).await, 200).await;
    json_of(app.refresh(&bob_refresh).await, 200).await;
    // Ids that name nothing, or are not ids at all.
    for (id, status) in [
        ("999999", 404),
        ("0", 404),
        ("-1", 404),
        ("abc", 422),
        ("1.5", 422),
    ] {
        assert_envelope(
            app.delete(&format!("/v1/auth/sessions/{id}"), Some(&alice))
                .await,
            status,
        )
        .await;
    }
    assert_unauthorized(
        app.delete(&format!("/v1/auth/sessions/{bob_sid}"), None)
            .await,
    )
    .await;
}

async fn change_password(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_json("/v1/auth/password", body, Some(token)).await
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    let (other_access, other_refresh) = app.pair_for("alice").await;
    let response = change_password(
        &app,
        &access,
        &json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
    )
    .await;
    assert_eq!(response.status(), 204);
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
    json_of(app.refresh(&refresh).await, 200).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&other_access)).await).await;
    assert_unauthorized(app.refresh(&other_refresh).await).await;
    assert_unauthorized(app.login("alice", PASSWORD).await).await;
    json_of(app.login("alice", "a-brand-new-password").await, 200).await;
}

#[tokio::test]
async fn a_wrong_current_password_is_401_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (access, _) = app.pair_for("alice").await;
    let (other_access, _) = app.pair_for("alice").await;
    let response = change_password(
        &app,
        &access,
        &json!({"current_password": "not-the-password", "new_password": "a-brand-new-password"}),
    )
    .await;
    assert_unauthorized(response).await;
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
    json_of(app.get("/v1/auth/me", Some(&other_access)).await, 200).await;
    json_of(app.login("alice", PASSWORD).await, 200).await;
    assert_unauthorized(app.login("alice", "a-brand-new-password").await).await;
}

#[tokio::test]
async fn the_new_password_obeys_the_registration_rules() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let too_long = "é".repeat(37); // 74 bytes: past bcrypt's 72
    for new in ["short", "", too_long.as_str(), &"x".repeat(101)] {
        let error = assert_envelope(
            change_password(
                &app,
                &token,
                &json!({"current_password": PASSWORD, "new_password": new}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(
            error["details"]["validation_errors"][0]["field"], "new_password",
            "{error}"
        );
    }
    for body in [
        json!({"new_password": "a-brand-new-password"}),
        json!({"current_password": PASSWORD}),
        json!({"current_password": PASSWORD, "new_password": null}),
    ] {
        assert_envelope(change_password(&app, &token, &body).await, 422).await;
    }
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/password",
            Some("text/plain"),
            "x",
            Some(&token),
        )
        .await;
    assert_envelope(response, 415).await;
    json_of(app.login("alice", PASSWORD).await, 200).await;
    assert_unauthorized(
        app.post_json(
            "/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
            None,
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn mass_assignment_on_the_session_endpoints_is_ignored() {
    let app = TestApp::spawn().await;
    let bob = app.register("bob").await;
    let (bob_access, bob_refresh) = app.pair_for("bob").await;
    let bob_sid = sessions(&app, &bob_access).await[0]["id"].clone();
    let alice = app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    let foreign = json!({
        "user_id": id_of(&bob),
        "session_id": bob_sid,
        "sid": bob_sid,
        "id": id_of(&bob),
        "is_admin": true,
    });
    // Password change: alice's own, whatever the body names.
    let mut body = foreign.clone();
    body["current_password"] = json!(PASSWORD);
    body["new_password"] = json!("alices-new-password");
    assert_eq!(change_password(&app, &access, &body).await.status(), 204);
    json_of(app.login("bob", PASSWORD).await, 200).await;
    json_of(app.login("alice", "alices-new-password").await, 200).await;
    // Refresh: the token decides, nothing else.
    let mut body = foreign.clone();
    body["refresh_token"] = json!(refresh);
    let pair = json_of(app.post_json("/v1/auth/refresh", &body, None).await, 200).await;
    let (new_access, _) = tokens_of(&pair);
    assert_eq!(jwt_parts(&new_access).1["sub"], id_of(&alice).to_string());
    // Logout: the caller's session, not the one the body names.
    let response = app
        .request(Method::POST, "/v1/auth/logout", Some(&new_access))
        .json(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.get("/v1/auth/me", Some(&new_access)).await).await;
    json_of(app.get("/v1/auth/me", Some(&bob_access)).await, 200).await;
    json_of(app.refresh(&bob_refresh).await, 200).await;
    // Nobody became an admin.
    let me = json_of(app.get("/v1/auth/me", Some(&bob_access)).await, 200).await;
    assert_eq!(me["is_admin"], false);
}

#[tokio::test]
async fn deactivation_by_an_admin_refuses_the_users_access_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let alice = app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    let (other_access, other_refresh) = app.pair_for("alice").await;
    let response = app
        .patch_json(
            &format!("/v1/users/{}", id_of(&alice)),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(response.status(), 200);
    for token in [&access, &other_access] {
        assert_unauthorized(app.get("/v1/auth/me", Some(token)).await).await;
    }
    for token in [&refresh, &other_refresh] {
        assert_unauthorized(app.refresh(token).await).await;
    }
    // Reactivated, the old sessions stay ended: a new login is needed.
    let response = app
        .patch_json(
            &format!("/v1/users/{}", id_of(&alice)),
            &json!({"is_active": true}),
            Some(&admin),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_unauthorized(app.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(app.refresh(&refresh).await).await;
    json_of(app.login("alice", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn a_deleted_users_refresh_token_is_401() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    let response = app
        .delete(&format!("/v1/users/{}", id_of(&alice)), Some(&access))
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.refresh(&refresh).await).await;
}
