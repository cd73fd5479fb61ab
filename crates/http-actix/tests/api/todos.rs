//! `/v1/todos`: the caller's own todos.

use chrono::TimeDelta;
use domain::ports::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_common_headers, assert_envelope, assert_unauthorized, id_of, invalid_fields,
    json_of, timestamp,
};

fn todo_path(todo: &Value) -> String {
    format!("/v1/todos/{}", id_of(todo))
}

fn ids(list: &Value) -> Vec<i64> {
    list["todos"]
        .as_array()
        .expect("todos")
        .iter()
        .map(id_of)
        .collect()
}

// --- create ----------------------------------------------------------------

#[tokio::test]
async fn create_todo_is_201_with_defaults() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("alice").await;
    let response = app
        .post_json("/v1/todos", &json!({"title": "Buy milk"}), Some(&token))
        .await;
    assert_common_headers(&response);
    let todo = json_of(response, 201).await;
    assert!(todo["id"].as_i64().is_some_and(|id| id > 0), "{todo}");
    assert_eq!(todo["title"], "Buy milk");
    assert_eq!(todo["description"], Value::Null);
    assert!(
        todo.get("description").is_some(),
        "description is present, as null: {todo}"
    );
    assert_eq!(todo["priority"], "medium");
    assert_eq!(todo["is_completed"], false);
    assert_eq!(todo["user_id"], user["id"]);
    let created = timestamp(&todo["created_at"]);
    assert_eq!(timestamp(&todo["updated_at"]), created);
    assert_eq!(created, app.clock().now());
}

#[tokio::test]
async fn create_todo_with_every_field() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for priority in ["low", "medium", "high"] {
        let body = json!({"title": "Full", "description": "All the fields", "priority": priority});
        let todo = json_of(app.post_json("/v1/todos", &body, Some(&token)).await, 201).await;
        assert_eq!(todo["description"], "All the fields");
        assert_eq!(todo["priority"], priority);
        let read = json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await;
        assert_eq!(read, todo);
    }
}

#[tokio::test]
async fn create_todo_with_an_empty_title_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let error = assert_envelope(
        app.post_json("/v1/todos", &json!({"title": ""}), Some(&token))
            .await,
        422,
    )
    .await;
    assert_eq!(invalid_fields(&error), ["title"]);
}

#[tokio::test]
async fn create_todo_with_a_title_of_256_chars_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let body = json!({"title": "t".repeat(256)});
    let error = assert_envelope(app.post_json("/v1/todos", &body, Some(&token)).await, 422).await;
    assert_eq!(invalid_fields(&error), ["title"]);
    let title = "🦀".repeat(255);
    let todo = json_of(
        app.post_json("/v1/todos", &json!({"title": title}), Some(&token))
            .await,
        201,
    )
    .await;
    assert_eq!(todo["title"], title);
}

#[tokio::test]
async fn create_todo_without_a_title_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for body in [
        json!({}),
        json!({"description": "no title"}),
        json!({"title": null}),
    ] {
        let error =
            assert_envelope(app.post_json("/v1/todos", &body, Some(&token)).await, 422).await;
        assert_eq!(invalid_fields(&error), ["title"], "{body}");
    }
}

#[tokio::test]
async fn create_todo_with_an_unknown_priority_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for priority in [json!("urgent"), json!(""), json!(3), json!(true)] {
        let body = json!({"title": "t", "priority": priority});
        let error =
            assert_envelope(app.post_json("/v1/todos", &body, Some(&token)).await, 422).await;
        assert_eq!(invalid_fields(&error), ["priority"], "{body}");
    }
}

#[tokio::test]
async fn create_todo_with_null_optional_fields_is_201_with_defaults() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let body = json!({"title": "t", "description": null, "priority": null});
    let response = app.post_json("/v1/todos", &body, Some(&token)).await;
    match response.status().as_u16() {
        201 => {
            let todo: Value = response.json().await.unwrap();
            assert_eq!(todo["description"], Value::Null);
            assert_eq!(todo["priority"], "medium");
        }
        422 => {
            assert_envelope(response, 422).await;
        }
        other => panic!("null optional fields → {other}"),
    }
}

#[tokio::test]
async fn create_todo_ignores_user_id_and_id_in_the_body() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let (bob, bob_token) = app.user("bob").await;
    let body = json!({"title": "mine", "user_id": id_of(&bob), "id": 4242, "is_completed": true, "created_at": "2000-01-01T00:00:00Z"});
    let todo = json_of(app.post_json("/v1/todos", &body, Some(&token)).await, 201).await;
    assert_eq!(todo["user_id"], alice["id"]);
    assert_ne!(todo["id"], 4242);
    assert_ne!(todo["created_at"], "2000-01-01T00:00:00Z");
    let bobs = json_of(app.get("/v1/todos", Some(&bob_token)).await, 200).await;
    assert_eq!(bobs["total"], 0);
}

#[tokio::test]
async fn create_todo_with_a_nul_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for (body, field) in [
        (json!({"title": "a\u{0}b"}), "title"),
        (json!({"title": "\u{0}"}), "title"),
        (
            json!({"title": "ok", "description": "a\u{0}b"}),
            "description",
        ),
        (json!({"title": "ok", "priority": "low\u{0}"}), "priority"),
    ] {
        let error =
            assert_envelope(app.post_json("/v1/todos", &body, Some(&token)).await, 422).await;
        assert_eq!(invalid_fields(&error), [field], "{body}");
    }
    let list = json_of(app.get("/v1/todos", Some(&token)).await, 200).await;
    assert_eq!(list["total"], 0);
}

// --- list ------------------------------------------------------------------

#[tokio::test]
async fn list_todos_shows_only_the_callers_newest_first() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let (_, bob_token) = app.user("bob").await;
    let mut mine = Vec::new();
    for title in ["first", "second", "third"] {
        mine.push(id_of(&app.create_todo(&token, title).await));
        app.create_todo(&bob_token, "bob's").await;
    }
    let list = json_of(app.get("/v1/todos", Some(&token)).await, 200).await;
    assert_eq!(list["total"], 3);
    assert_eq!(list["page"], 1);
    assert_eq!(list["page_size"], 10);
    mine.reverse();
    assert_eq!(ids(&list), mine, "newest first: {list}");
    let titles: Vec<&str> = list["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["third", "second", "first"]);
    for todo in list["todos"].as_array().unwrap() {
        assert_eq!(todo["user_id"], alice["id"]);
    }
    let bobs = json_of(app.get("/v1/todos", Some(&bob_token)).await, 200).await;
    assert_eq!(bobs["total"], 3);
    assert!(ids(&bobs).iter().all(|id| !mine.contains(id)));
}

#[tokio::test]
async fn list_todos_is_empty_for_a_new_user() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let list = json_of(app.get("/v1/todos", Some(&token)).await, 200).await;
    assert_eq!(
        list,
        json!({"todos": [], "total": 0, "page": 1, "page_size": 10, "next_cursor": null})
    );
}

#[tokio::test]
async fn list_todos_pages() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(id_of(&app.create_todo(&token, &format!("todo {i}")).await));
    }
    created.reverse();
    let mut seen = Vec::new();
    for (page, expected) in [(1, 2), (2, 2), (3, 1), (4, 0)] {
        let list = json_of(
            app.get(&format!("/v1/todos?page={page}&page_size=2"), Some(&token))
                .await,
            200,
        )
        .await;
        assert_eq!(list["total"], 5, "{list}");
        assert_eq!(list["page"], page);
        assert_eq!(list["page_size"], 2);
        let page_ids = ids(&list);
        assert_eq!(page_ids.len(), expected, "page {page}");
        seen.extend(page_ids);
    }
    assert_eq!(seen, created, "pages in order, newest first, no overlap");
    let list = json_of(app.get("/v1/todos?page_size=100", Some(&token)).await, 200).await;
    assert_eq!(list["todos"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn list_todos_filters_by_completed() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let open = app.create_todo(&token, "open").await;
    let done = app.create_todo(&token, "done").await;
    let also_done = app.create_todo(&token, "also done").await;
    for todo in [&done, &also_done] {
        json_of(
            app.patch_json(
                &todo_path(todo),
                &json!({"is_completed": true}),
                Some(&token),
            )
            .await,
            200,
        )
        .await;
    }
    let list = json_of(app.get("/v1/todos?completed=true", Some(&token)).await, 200).await;
    assert_eq!(list["total"], 2);
    assert_eq!(ids(&list), [id_of(&also_done), id_of(&done)]);
    assert!(
        list["todos"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["is_completed"] == true)
    );
    let list = json_of(
        app.get("/v1/todos?completed=false", Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(list["total"], 1);
    assert_eq!(ids(&list), [id_of(&open)]);
    let list = json_of(
        app.get("/v1/todos?completed=true&page=2&page_size=1", Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(list["total"], 2);
    assert_eq!(ids(&list), [id_of(&done)]);
}

#[tokio::test]
async fn list_todos_with_a_bad_completed_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for value in ["maybe", "2", "truthy"] {
        let error = assert_envelope(
            app.get(&format!("/v1/todos?completed={value}"), Some(&token))
                .await,
            422,
        )
        .await;
        assert_eq!(invalid_fields(&error), ["completed"], "{value}");
    }
}

#[tokio::test]
async fn list_todos_with_a_bad_page_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=x", "page_size"),
    ] {
        let error = assert_envelope(
            app.get(&format!("/v1/todos?{query}"), Some(&token)).await,
            422,
        )
        .await;
        assert!(
            invalid_fields(&error).iter().any(|f| f == field),
            "{query}: {error}"
        );
    }
}

// --- read ------------------------------------------------------------------

#[tokio::test]
async fn get_own_todo_is_200() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "mine").await;
    let read = json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await;
    assert_eq!(read, todo);
}

#[tokio::test]
async fn other_users_todo_is_403() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user("alice").await;
    let (_, bob) = app.user("bob").await;
    let todo = app.create_todo(&alice, "alice's secret").await;
    let error = assert_envelope(app.get(&todo_path(&todo), Some(&bob)).await, 403).await;
    assert!(!error.to_string().contains("secret"), "{error}");
}

#[tokio::test]
async fn other_users_todo_is_403_even_for_an_admin() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user("alice").await;
    let (_, admin) = app.admin("root").await;
    let todo = app.create_todo(&alice, "alice's").await;
    assert_envelope(app.get(&todo_path(&todo), Some(&admin)).await, 403).await;
}

#[tokio::test]
async fn patching_another_users_todo_is_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user("alice").await;
    let (_, bob) = app.user("bob").await;
    let todo = app.create_todo(&alice, "alice's").await;
    let body = json!({"title": "hijacked", "is_completed": true});
    assert_envelope(
        app.patch_json(&todo_path(&todo), &body, Some(&bob)).await,
        403,
    )
    .await;
    let read = json_of(app.get(&todo_path(&todo), Some(&alice)).await, 200).await;
    assert_eq!(read, todo);
}

#[tokio::test]
async fn deleting_another_users_todo_is_403_and_keeps_it() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user("alice").await;
    let (_, bob) = app.user("bob").await;
    let todo = app.create_todo(&alice, "alice's").await;
    assert_envelope(app.delete(&todo_path(&todo), Some(&bob)).await, 403).await;
    json_of(app.get(&todo_path(&todo), Some(&alice)).await, 200).await;
}

#[tokio::test]
async fn missing_todo_is_404() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    assert_envelope(app.get("/v1/todos/424242", Some(&token)).await, 404).await;
    assert_envelope(
        app.patch_json("/v1/todos/424242", &json!({"title": "x"}), Some(&token))
            .await,
        404,
    )
    .await;
    assert_envelope(app.delete("/v1/todos/424242", Some(&token)).await, 404).await;
}

// --- update ----------------------------------------------------------------

#[tokio::test]
async fn patch_todo_updates_title_completion_and_priority() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "before").await;
    let body = json!({"title": "after", "is_completed": true, "priority": "high"});
    let updated = json_of(
        app.patch_json(&todo_path(&todo), &body, Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(updated["id"], todo["id"]);
    assert_eq!(updated["title"], "after");
    assert_eq!(updated["is_completed"], true);
    assert_eq!(updated["priority"], "high");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["user_id"], todo["user_id"]);
    assert_eq!(updated["created_at"], todo["created_at"]);
    let read = json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await;
    assert_eq!(read, updated);
    // Back again, one field at a time.
    let updated = json_of(
        app.patch_json(
            &todo_path(&todo),
            &json!({"is_completed": false}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["is_completed"], false);
    assert_eq!(updated["title"], "after");
    assert_eq!(updated["priority"], "high");
    let updated = json_of(
        app.patch_json(&todo_path(&todo), &json!({"priority": "low"}), Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["priority"], "low");
    assert_eq!(updated["is_completed"], false);
}

#[tokio::test]
async fn patch_todo_description_is_set_and_null_clears_it() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "t").await;
    let updated = json_of(
        app.patch_json(
            &todo_path(&todo),
            &json!({"description": "details"}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["description"], "details");
    // Absent leaves it alone.
    let updated = json_of(
        app.patch_json(&todo_path(&todo), &json!({"title": "t2"}), Some(&token))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["description"], "details");
    // null clears it.
    let updated = json_of(
        app.patch_json(
            &todo_path(&todo),
            &json!({"description": null}),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["description"], Value::Null);
    let read = json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await;
    assert_eq!(read["description"], Value::Null);
    assert_eq!(read["title"], "t2");
}

#[tokio::test]
async fn patch_todo_with_null_for_a_non_nullable_field_is_422_or_ignored() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "keep me").await;
    for field in ["title", "is_completed", "priority"] {
        let response = app
            .patch_json(&todo_path(&todo), &json!({ field: null }), Some(&token))
            .await;
        match response.status().as_u16() {
            200 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body[field], todo[field], "{field}: null changed it");
            }
            422 => {
                let error = assert_envelope(response, 422).await;
                assert_eq!(invalid_fields(&error), [field]);
            }
            other => panic!("{field}: null → {other}"),
        }
    }
    let read = json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await;
    assert_eq!(read["title"], "keep me");
    assert_eq!(read["priority"], "medium");
    assert_eq!(read["is_completed"], false);
}

#[tokio::test]
async fn patch_todo_with_invalid_values_is_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "keep me").await;
    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "t".repeat(256)}), "title"),
        (json!({"title": "a\u{0}b"}), "title"),
        (json!({"description": "a\u{0}b"}), "description"),
        (json!({"priority": "urgent"}), "priority"),
        (json!({"is_completed": "yes"}), "is_completed"),
        (json!({"title": 7}), "title"),
    ] {
        let error = assert_envelope(
            app.patch_json(&todo_path(&todo), &body, Some(&token)).await,
            422,
        )
        .await;
        assert_eq!(invalid_fields(&error), [field], "{body}");
    }
    let read = json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await;
    assert_eq!(read, todo);
}

#[tokio::test]
async fn patch_todo_never_changes_owner_or_id() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user("alice").await;
    let (bob, bob_token) = app.user("bob").await;
    let todo = app.create_todo(&token, "mine").await;
    let body = json!({"user_id": id_of(&bob), "id": 4242, "title": "still mine"});
    let updated = json_of(
        app.patch_json(&todo_path(&todo), &body, Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(updated["id"], todo["id"]);
    assert_eq!(updated["user_id"], alice["id"]);
    assert_eq!(updated["title"], "still mine");
    assert_envelope(app.get(&todo_path(&todo), Some(&bob_token)).await, 403).await;
    assert_envelope(app.get("/v1/todos/4242", Some(&token)).await, 404).await;
    let bobs = json_of(app.get("/v1/todos", Some(&bob_token)).await, 200).await;
    assert_eq!(bobs["total"], 0);
}

#[tokio::test]
async fn updated_at_strictly_increases_on_every_patch() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "t").await;
    let created_at = timestamp(&todo["created_at"]);
    let mut last = timestamp(&todo["updated_at"]);
    for body in [
        json!({"title": "one"}),
        json!({"title": "two"}),
        json!({"is_completed": true}),
        json!({"priority": "low"}),
    ] {
        let updated = json_of(
            app.patch_json(&todo_path(&todo), &body, Some(&token)).await,
            200,
        )
        .await;
        let at = timestamp(&updated["updated_at"]);
        // The clock stands still: each change is a microsecond later.
        assert_eq!(at, last + TimeDelta::microseconds(1), "{body}");
        assert_eq!(timestamp(&updated["created_at"]), created_at);
        last = at;
    }
}

#[tokio::test]
async fn patch_todo_with_an_empty_body_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "t").await;
    let updated = json_of(
        app.patch_json(&todo_path(&todo), &json!({}), Some(&token))
            .await,
        200,
    )
    .await;
    for field in [
        "id",
        "title",
        "description",
        "priority",
        "is_completed",
        "user_id",
        "created_at",
    ] {
        assert_eq!(updated[field], todo[field], "{field}");
    }
}

// --- delete ----------------------------------------------------------------

#[tokio::test]
async fn delete_todo_is_204_then_404() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "bye").await;
    let keep = app.create_todo(&token, "stay").await;
    let response = app.delete(&todo_path(&todo), Some(&token)).await;
    assert_common_headers(&response);
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty());
    assert_envelope(app.get(&todo_path(&todo), Some(&token)).await, 404).await;
    assert_envelope(app.delete(&todo_path(&todo), Some(&token)).await, 404).await;
    assert_envelope(
        app.patch_json(&todo_path(&todo), &json!({"title": "x"}), Some(&token))
            .await,
        404,
    )
    .await;
    let list = json_of(app.get("/v1/todos", Some(&token)).await, 200).await;
    assert_eq!(ids(&list), [id_of(&keep)]);
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn a_deleted_todos_id_is_not_reused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "first").await;
    let response = app
        .delete(&format!("/v1/todos/{}", id_of(&todo)), Some(&token))
        .await;
    assert_eq!(response.status(), 204);
    let next = app.create_todo(&token, "second").await;
    assert_ne!(next["id"], todo["id"], "a deleted todo's id was reused");
}

// --- anonymous -------------------------------------------------------------

/// Every todo route with `token`, which must be refused: each answers 401
/// with the body `/v1/auth/me` gives that token, and `todo` (alice's) and
/// the list are left as they were (checked through `witness`, a live token
/// of hers).
async fn assert_refused_everywhere(app: &TestApp, token: &str, todo: &Value, witness: &str) {
    let path = todo_path(todo);
    let expected = assert_unauthorized(app.get("/v1/auth/me", Some(token)).await).await;
    let responses = [
        app.get("/v1/todos", Some(token)).await,
        app.get("/v1/todos?page=50", Some(token)).await,
        app.post_json("/v1/todos", &json!({"title": "sneaked in"}), Some(token))
            .await,
        app.get(&path, Some(token)).await,
        app.get("/v1/todos/424242", Some(token)).await,
        app.patch_json(&path, &json!({"title": "changed"}), Some(token))
            .await,
        app.delete(&path, Some(token)).await,
        app.delete("/v1/todos/424242", Some(token)).await,
        // Bad input too: the ended session is refused before the input is
        // judged, as on every route that loads the user first.
        app.post_json("/v1/todos", &json!({"title": ""}), Some(token))
            .await,
        app.post_json("/v1/todos", &json!([1, 2]), Some(token))
            .await,
        app.patch_json(&path, &json!({"priority": "urgent"}), Some(token))
            .await,
        app.patch_json("/v1/todos/abc", &json!({"title": "x"}), Some(token))
            .await,
        app.get("/v1/todos/abc", Some(token)).await,
        app.get("/v1/todos?page=0", Some(token)).await,
        app.delete("/v1/todos/abc", Some(token)).await,
    ];
    for response in responses {
        let url = response.url().to_string();
        let body = assert_unauthorized(response).await;
        assert_eq!(body["error"], expected["error"], "{url}");
    }
    if witness.is_empty() {
        return;
    }
    for response in [
        app.post_json("/v1/todos", &json!({"title": ""}), Some(witness))
            .await,
        app.get("/v1/todos/abc", Some(witness)).await,
        app.get("/v1/todos?page=0", Some(witness)).await,
    ] {
        assert_eq!(response.status(), 422, "{}", response.url());
    }
    let list = json_of(app.get("/v1/todos", Some(witness)).await, 200).await;
    assert_eq!(list["total"], 1, "{list}");
    let stored = json_of(app.get(&path, Some(witness)).await, 200).await;
    assert_eq!(&stored, todo);
}

#[tokio::test]
async fn a_token_whose_session_ended_is_401_on_every_todo_route_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (access, _) = app.pair_for("alice").await;
    let (witness, _) = app.pair_for("alice").await;
    let todo = app.create_todo(&access, "kept").await;
    let response = app.post("/v1/auth/logout", Some(&access)).await;
    assert_eq!(response.status(), 204);

    assert_refused_everywhere(&app, &access, &todo, &witness).await;
}

#[tokio::test]
async fn a_deactivated_or_deleted_users_token_is_401_on_every_todo_route() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "kept").await;
    app.set_flags(id_of(&user), None, Some(false)).await;
    assert_refused_everywhere(&app, &token, &todo, "").await;
    app.set_flags(id_of(&user), None, Some(true)).await;
    let list = json_of(app.get("/v1/todos", Some(&token)).await, 200).await;
    assert_eq!(
        list["total"], 1,
        "nothing changed while deactivated: {list}"
    );
    assert_eq!(
        json_of(app.get(&todo_path(&todo), Some(&token)).await, 200).await,
        todo
    );

    let response = app
        .delete(&format!("/v1/users/{}", id_of(&user)), Some(&token))
        .await;
    assert_eq!(response.status(), 204);
    assert_refused_everywhere(&app, &token, &todo, "").await;
}

#[tokio::test]
async fn anonymous_is_401_on_every_todo_route() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "t").await;
    let path = todo_path(&todo);
    for bearer in [None, Some("garbage")] {
        assert_unauthorized(app.get("/v1/todos", bearer).await).await;
        assert_unauthorized(
            app.post_json("/v1/todos", &json!({"title": "x"}), bearer)
                .await,
        )
        .await;
        assert_unauthorized(app.get(&path, bearer).await).await;
        assert_unauthorized(app.patch_json(&path, &json!({"title": "x"}), bearer).await).await;
        assert_unauthorized(app.delete(&path, bearer).await).await;
        assert_unauthorized(
            app.request(Method::DELETE, "/v1/todos/424242", bearer)
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    let read = json_of(app.get(&path, Some(&token)).await, 200).await;
    assert_eq!(read, todo);
}
