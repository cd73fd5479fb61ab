//! `/v1/users`: admin-only create and list; self-or-admin read, update, delete.

use std::collections::HashSet;
use std::time::Duration;

use domain::ports::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_envelope, assert_no_secrets, assert_unauthorized,
    assert_user_response, id_of, invalid_fields, json_of, registration, timestamp,
};

fn user_path(user: &Value) -> String {
    format!("/v1/users/{}", id_of(user))
}

// --- POST /v1/users --------------------------------------------------------

#[tokio::test]
async fn admin_creates_a_user_201() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let user = json_of(
        app.post_json("/v1/users", &registration("alice"), Some(&admin))
            .await,
        201,
    )
    .await;
    assert_user_response(&user, "alice");
    // A plain user: logs in, is not an admin.
    let token = app.token_for("alice").await;
    assert_envelope(app.get("/v1/users", Some(&token)).await, 403).await;
}

#[tokio::test]
async fn admin_creating_a_user_honours_is_admin() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let mut body = registration("second");
    body["is_admin"] = json!(true);
    let user = json_of(app.post_json("/v1/users", &body, Some(&admin)).await, 201).await;
    if let Some(flag) = user.get("is_admin") {
        assert_eq!(flag, true);
    }
    let token = app.token_for("second").await;
    let list = json_of(app.get("/v1/users", Some(&token)).await, 200).await;
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn non_admin_creating_a_user_is_403() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    assert_envelope(
        app.post_json("/v1/users", &registration("bob"), Some(&token))
            .await,
        403,
    )
    .await;
    let mut body = registration("carol");
    body["is_admin"] = json!(true);
    assert_envelope(app.post_json("/v1/users", &body, Some(&token)).await, 403).await;
    // Nothing was created.
    assert_unauthorized(app.login("bob", PASSWORD).await).await;
    assert_unauthorized(app.login("carol", PASSWORD).await).await;
}

#[tokio::test]
async fn anonymous_creating_a_user_is_401() {
    let app = TestApp::spawn().await;
    assert_unauthorized(app.post_json("/v1/users", &registration("bob"), None).await).await;
}

#[tokio::test]
async fn admin_creating_an_invalid_user_is_422() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let body = json!({"email": "nope", "username": "x-y", "full_name": "", "password": "short"});
    let error = assert_envelope(app.post_json("/v1/users", &body, Some(&admin)).await, 422).await;
    let mut fields = invalid_fields(&error);
    fields.sort();
    assert_eq!(fields, ["email", "full_name", "password", "username"]);
}

#[tokio::test]
async fn admin_creating_a_duplicate_user_is_409() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    app.register("alice").await;
    let mut body = registration("ALICE");
    body["email"] = json!("fresh@example.com");
    assert_envelope(app.post_json("/v1/users", &body, Some(&admin)).await, 409).await;
    let mut body = registration("fresh");
    body["email"] = json!("Alice@Example.com");
    assert_envelope(app.post_json("/v1/users", &body, Some(&admin)).await, 409).await;
}

// --- GET /v1/users ---------------------------------------------------------

#[tokio::test]
async fn admin_lists_users_with_totals() {
    let app = TestApp::spawn().await;
    let (root, admin) = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let list = json_of(app.get("/v1/users", Some(&admin)).await, 200).await;
    assert_eq!(list["total"], 3);
    assert_eq!(list["page"], 1);
    assert_eq!(list["page_size"], 10);
    let users = list["users"].as_array().unwrap();
    let ids: HashSet<i64> = users.iter().map(id_of).collect();
    assert_eq!(
        ids,
        HashSet::from([id_of(&root), id_of(&alice), id_of(&bob)])
    );
    for user in users {
        assert_no_secrets(user);
        assert!(
            user["email"].is_string() && user["username"].is_string(),
            "{user}"
        );
    }
}

#[tokio::test]
async fn admin_lists_users_page_by_page() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    for name in ["u_one", "u_two", "u_three", "u_four"] {
        app.register(name).await;
    }
    let mut seen = HashSet::new();
    for (page, expected) in [(1, 2), (2, 2), (3, 1), (4, 0)] {
        let list = json_of(
            app.get(&format!("/v1/users?page={page}&page_size=2"), Some(&admin))
                .await,
            200,
        )
        .await;
        assert_eq!(list["total"], 5, "{list}");
        assert_eq!(list["page"], page);
        assert_eq!(list["page_size"], 2);
        let users = list["users"].as_array().unwrap();
        assert_eq!(users.len(), expected, "page {page}: {list}");
        for user in users {
            assert!(seen.insert(id_of(user)), "{user} on two pages");
        }
    }
    assert_eq!(seen.len(), 5);
    let list = json_of(
        app.get("/v1/users?page=1&page_size=100", Some(&admin))
            .await,
        200,
    )
    .await;
    assert_eq!(list["users"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn list_users_with_a_bad_page_is_422() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=-5", "page_size"),
    ] {
        let error = assert_envelope(
            app.get(&format!("/v1/users?{query}"), Some(&admin)).await,
            422,
        )
        .await;
        assert!(
            invalid_fields(&error).iter().any(|f| f == field),
            "{query}: {error}"
        );
    }
}

#[tokio::test]
async fn non_admin_listing_users_is_403() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    assert_envelope(app.get("/v1/users", Some(&token)).await, 403).await;
}

#[tokio::test]
async fn anonymous_listing_users_is_401() {
    let app = TestApp::spawn().await;
    assert_unauthorized(app.get("/v1/users", None).await).await;
}

// --- GET /v1/users/{id} ----------------------------------------------------

#[tokio::test]
async fn user_reads_self_200() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let body = json_of(app.get(&user_path(&alice), Some(&token)).await, 200).await;
    assert_user_response(&body, "alice");
    assert_eq!(body["id"], alice["id"]);
}

#[tokio::test]
async fn admin_reads_any_user_200() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let alice = app.register("alice").await;
    let body = json_of(app.get(&user_path(&alice), Some(&admin)).await, 200).await;
    assert_user_response(&body, "alice");
}

#[tokio::test]
async fn non_admin_reading_another_user_is_403() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let bob = app.register("bob").await;
    let error = assert_envelope(app.get(&user_path(&bob), Some(&token)).await, 403).await;
    assert!(!error.to_string().contains("bob"), "{error}");
}

#[tokio::test]
async fn non_admin_reading_a_missing_user_is_403_not_404() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let existing = app.register("bob").await;
    let missing = assert_envelope(app.get("/v1/users/987654", Some(&token)).await, 403).await;
    let present = assert_envelope(app.get(&user_path(&existing), Some(&token)).await, 403).await;
    // Indistinguishable: no way to probe which ids exist.
    assert_eq!(missing, present);
}

#[tokio::test]
async fn admin_reading_a_missing_user_is_404() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    assert_envelope(app.get("/v1/users/987654", Some(&admin)).await, 404).await;
}

#[tokio::test]
async fn anonymous_reading_a_user_is_401() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    assert_unauthorized(app.get(&user_path(&alice), None).await).await;
}

// --- PATCH /v1/users/{id} --------------------------------------------------

#[tokio::test]
async fn user_updates_own_email_username_and_full_name() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    assert_eq!(timestamp(&alice["updated_at"]), app.clock().now());
    app.clock().advance(Duration::from_secs(90));
    let body =
        json!({"email": "new@example.org", "username": "alice_2", "full_name": "Alice Renamed"});
    let updated = json_of(
        app.patch_json(&user_path(&alice), &body, Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["id"], alice["id"]);
    assert_eq!(updated["email"], "new@example.org");
    assert_eq!(updated["username"], "alice_2");
    assert_eq!(updated["full_name"], "Alice Renamed");
    assert_eq!(updated["is_active"], true);
    assert_eq!(updated["created_at"], alice["created_at"]);
    assert_eq!(
        timestamp(&updated["updated_at"]),
        app.clock().now(),
        "{updated}"
    );
    assert_no_secrets(&updated);
    // Stored: read back, and the new names log in, the old ones do not.
    let read = json_of(app.get(&user_path(&alice), Some(&token)).await, 200).await;
    assert_eq!(read, updated);
    json_of(app.login("alice_2", PASSWORD).await, 200).await;
    json_of(app.login("new@example.org", PASSWORD).await, 200).await;
    assert_unauthorized(app.login("alice", PASSWORD).await).await;
    assert_unauthorized(app.login("alice@example.com", PASSWORD).await).await;
    // The username and email are free again.
    app.register("alice").await;
}

#[tokio::test]
async fn user_updates_one_field_and_keeps_the_others() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let updated = json_of(
        app.patch_json(
            &user_path(&alice),
            &json!({"full_name": "Only Name"}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["full_name"], "Only Name");
    assert_eq!(updated["email"], alice["email"]);
    assert_eq!(updated["username"], alice["username"]);
}

#[tokio::test]
async fn updated_at_moves_forward_on_every_user_patch() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let mut last = timestamp(&alice["updated_at"]);
    for name in ["One", "Two", "Three"] {
        let updated = json_of(
            app.patch_json(
                &user_path(&alice),
                &json!({"full_name": name}),
                Some(&token),
            )
            .await,
            200,
        )
        .await;
        let at = timestamp(&updated["updated_at"]);
        // The clock stands still: each change is a microsecond later.
        assert_eq!(at, last + chrono::TimeDelta::microseconds(1), "{name}");
        last = at;
    }
}

#[tokio::test]
async fn user_may_keep_or_recase_their_own_names() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let same = json!({"email": "alice@example.com", "username": "alice"});
    json_of(
        app.patch_json(&user_path(&alice), &same, Some(&token))
            .await,
        200,
    )
    .await;
    let recased = json!({"email": "Alice@Example.com", "username": "Alice"});
    let updated = json_of(
        app.patch_json(&user_path(&alice), &recased, Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["username"], "Alice");
}

#[tokio::test]
async fn non_admin_setting_is_active_is_403() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    for body in [
        json!({"is_active": false}),
        json!({"is_active": false, "full_name": "x"}),
    ] {
        assert_envelope(
            app.patch_json(&user_path(&alice), &body, Some(&token))
                .await,
            403,
        )
        .await;
    }
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(me["is_active"], true);
    assert_eq!(me["full_name"], alice["full_name"]);
}

#[tokio::test]
async fn non_admin_setting_is_admin_is_403() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    for body in [
        json!({"is_admin": true}),
        json!({"is_admin": true, "full_name": "x"}),
    ] {
        assert_envelope(
            app.patch_json(&user_path(&alice), &body, Some(&token))
                .await,
            403,
        )
        .await;
    }
    assert_envelope(app.get("/v1/users", Some(&token)).await, 403).await;
}

#[tokio::test]
async fn non_admin_updating_another_user_is_403() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let bob = app.register("bob").await;
    assert_envelope(
        app.patch_json(
            &user_path(&bob),
            &json!({"full_name": "Hacked"}),
            Some(&token),
        )
        .await,
        403,
    )
    .await;
    assert_envelope(
        app.patch_json(
            "/v1/users/987654",
            &json!({"full_name": "Hacked"}),
            Some(&token),
        )
        .await,
        403,
    )
    .await;
    let bob_token = app.token_for("bob").await;
    let me = json_of(app.get("/v1/auth/me", Some(&bob_token)).await, 200).await;
    assert_eq!(me["full_name"], bob["full_name"]);
}

#[tokio::test]
async fn admin_deactivates_a_user_whose_token_then_is_401() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let (alice, token) = app.user("alice").await;
    let updated = json_of(
        app.patch_json(
            &user_path(&alice),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["is_active"], false);
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    assert_unauthorized(app.login("alice", PASSWORD).await).await;
    // And back.
    let updated = json_of(
        app.patch_json(
            &user_path(&alice),
            &json!({"is_active": true}),
            Some(&admin),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["is_active"], true);
    json_of(app.login("alice", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn admin_updates_another_users_fields_and_role() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let (alice, token) = app.user("alice").await;
    let body = json!({"full_name": "Set By Admin", "is_admin": true});
    let updated = json_of(
        app.patch_json(&user_path(&alice), &body, Some(&admin))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["full_name"], "Set By Admin");
    json_of(app.get("/v1/users", Some(&token)).await, 200).await;
}

#[tokio::test]
async fn admin_updating_a_missing_user_is_404() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    assert_envelope(
        app.patch_json("/v1/users/987654", &json!({"full_name": "x"}), Some(&admin))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn updating_to_a_taken_email_or_username_is_409() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    app.register("bob").await;
    for body in [
        json!({"email": "bob@example.com"}),
        json!({"email": "BOB@example.com"}),
        json!({"username": "bob"}),
        json!({"username": "Bob"}),
    ] {
        assert_envelope(
            app.patch_json(&user_path(&alice), &body, Some(&token))
                .await,
            409,
        )
        .await;
    }
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["email"], "alice@example.com");
    // As admin too.
    let (_, admin) = app.admin("root").await;
    assert_envelope(
        app.patch_json(
            &user_path(&alice),
            &json!({"username": "ROOT"}),
            Some(&admin),
        )
        .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn updating_with_invalid_values_is_422() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (json!({"username": "a-b"}), "username"),
        (json!({"username": "ab"}), "username"),
        (json!({"username": "u".repeat(101)}), "username"),
        (json!({"full_name": ""}), "full_name"),
        (json!({"full_name": "x".repeat(256)}), "full_name"),
        (json!({"full_name": "a\u{0}b"}), "full_name"),
        (json!({"email": "a\u{0}b@example.com"}), "email"),
        (json!({"username": "a\u{0}bc"}), "username"),
        (json!({"full_name": 42}), "full_name"),
        (json!({"is_active": "yes"}), "is_active"),
    ] {
        let error = assert_envelope(
            app.patch_json(&user_path(&alice), &body, Some(&token))
                .await,
            422,
        )
        .await;
        assert!(
            invalid_fields(&error).iter().any(|f| f == field),
            "{body}: {error}"
        );
    }
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(
        me,
        json_of(app.get(&user_path(&alice), Some(&token)).await, 200).await
    );
    assert_eq!(me["full_name"], alice["full_name"]);
}

#[tokio::test]
async fn null_user_fields_are_422_or_ignored() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    for field in ["email", "username", "full_name", "is_active", "is_admin"] {
        let response = app
            .patch_json(&user_path(&alice), &json!({ field: null }), Some(&token))
            .await;
        match response.status().as_u16() {
            200 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body[field], alice[field], "{field}: null changed the value");
            }
            422 => {
                assert_envelope(response, 422).await;
            }
            other => panic!("{field}: null → {other}"),
        }
    }
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(me["email"], alice["email"]);
    assert_eq!(me["is_active"], true);
}

#[tokio::test]
async fn user_patch_ignores_id_and_password_fields() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let body = json!({"id": 4242, "password": "another-password", "hashed_password": "x", "full_name": "Same Id"});
    let updated = json_of(
        app.patch_json(&user_path(&alice), &body, Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["id"], alice["id"]);
    json_of(app.login("alice", PASSWORD).await, 200).await;
    assert_unauthorized(app.login("alice", "another-password").await).await;
}

#[tokio::test]
async fn anonymous_updating_a_user_is_401() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    assert_unauthorized(
        app.patch_json(&user_path(&alice), &json!({"full_name": "x"}), None)
            .await,
    )
    .await;
}

// --- DELETE /v1/users/{id} -------------------------------------------------

#[tokio::test]
async fn user_deletes_self_204_and_their_todos_go_with_them() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let (_, bob_token) = app.user("bob").await;
    let first = app.create_todo(&token, "one").await;
    let second = app.create_todo(&token, "two").await;
    let bobs = app.create_todo(&bob_token, "bob's").await;
    let response = app.delete(&user_path(&alice), Some(&token)).await;
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty());
    assert!(!app.todo_exists(id_of(&first)).await);
    assert!(!app.todo_exists(id_of(&second)).await);
    assert!(app.todo_exists(id_of(&bobs)).await);
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    assert_envelope(
        app.get(&format!("/v1/todos/{}", id_of(&first)), Some(&bob_token))
            .await,
        404,
    )
    .await;
    // The name is free again.
    app.register("alice").await;
}

#[tokio::test]
async fn non_admin_deleting_another_user_is_403() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let bob = app.register("bob").await;
    assert_envelope(app.delete(&user_path(&bob), Some(&token)).await, 403).await;
    json_of(app.login("bob", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn admin_deletes_a_user_204() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    let (alice, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "mine").await;
    let response = app.delete(&user_path(&alice), Some(&admin)).await;
    assert_eq!(response.status(), 204);
    assert_envelope(app.get(&user_path(&alice), Some(&admin)).await, 404).await;
    assert_envelope(app.delete(&user_path(&alice), Some(&admin)).await, 404).await;
    assert!(!app.todo_exists(id_of(&todo)).await);
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    let list = json_of(app.get("/v1/users", Some(&admin)).await, 200).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn admin_deleting_a_missing_user_is_404() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin("root").await;
    assert_envelope(app.delete("/v1/users/987654", Some(&admin)).await, 404).await;
}

#[tokio::test]
async fn anonymous_deleting_a_user_is_401() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    assert_unauthorized(app.delete(&user_path(&alice), None).await).await;
    let response = app
        .request(Method::DELETE, &user_path(&alice), Some("garbage"))
        .send()
        .await
        .unwrap();
    assert_unauthorized(response).await;
}
