//! Two instances of the application on one store, as two replicas
//! behind a load balancer: whatever one decides about a session, the other
//! applies on the very next request.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_unauthorized, id_of, json_of, tokens_of};

#[tokio::test]
async fn a_token_from_one_instance_works_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    a.register("alice").await;
    let (access, refresh) = a.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    let pair = json_of(b.refresh(&refresh).await, 200).await;
    json_of(a.get("/v1/auth/me", Some(&tokens_of(&pair).0)).await, 200).await;
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_on_the_other_at_once() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    a.register("alice").await;
    let (access, refresh) = a.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    assert_eq!(a.post("/v1/auth/logout", Some(&access)).await.status(), 204);
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(b.refresh(&refresh).await).await;
}

#[tokio::test]
async fn a_password_change_on_one_instance_ends_the_other_sessions_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    a.register("alice").await;
    let (access, _) = a.pair_for("alice").await;
    let (other_access, other_refresh) = b.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&other_access)).await, 200).await;
    let response = a
        .post_json(
            "/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
            Some(&access),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(b.get("/v1/auth/me", Some(&other_access)).await).await;
    assert_unauthorized(b.refresh(&other_refresh).await).await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    assert_unauthorized(b.login("alice", PASSWORD).await).await;
}

#[tokio::test]
async fn a_deactivation_on_one_instance_is_refused_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    let (_, admin) = a.admin("root").await;
    let alice = a.register("alice").await;
    let (access, refresh) = b.pair_for("alice").await;
    let response = a
        .patch_json(
            &format!("/v1/users/{}", id_of(&alice)),
            &json!({"is_active": false}),
            Some(&admin),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(b.refresh(&refresh).await).await;
}

#[tokio::test]
async fn a_user_deleted_on_one_instance_is_refused_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    let (_, admin) = a.admin("root").await;
    let alice = a.register("alice").await;
    let (access, refresh) = b.pair_for("alice").await;
    json_of(b.get("/v1/auth/me", Some(&access)).await, 200).await;
    let response = a
        .delete(&format!("/v1/users/{}", id_of(&alice)), Some(&admin))
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(b.refresh(&refresh).await).await;
    // A new account under the same name is another user: the old tokens do
    // not come back to life.
    b.register("alice").await;
    assert_unauthorized(b.get("/v1/auth/me", Some(&access)).await).await;
    assert_unauthorized(a.refresh(&refresh).await).await;
}

#[tokio::test]
async fn a_list_cursor_from_one_instance_continues_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(&[]).await;
    let (_, token) = a.user("alice").await;
    for title in ["one", "two", "three"] {
        a.create_todo(&token, title).await;
    }
    let first = json_of(a.get("/v1/todos?page_size=2", Some(&token)).await, 200).await;
    let cursor = first["next_cursor"].as_str().expect("a next page");

    let next = json_of(
        b.get(&format!("/v1/todos?cursor={cursor}"), Some(&token))
            .await,
        200,
    )
    .await;

    let titles: Vec<&str> = first["todos"]
        .as_array()
        .unwrap()
        .iter()
        .chain(next["todos"].as_array().unwrap())
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["three", "two", "one"]);
    assert_eq!(next["next_cursor"], json!(null));
    assert_eq!(next["page"], 2);
}
