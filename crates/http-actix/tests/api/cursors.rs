//! Cursor pagination of `GET /v1/todos` and `GET /v1/users`: `next_cursor`,
//! `?cursor=`, the `Link: <…>; rel="next"` header, and the 422s of a
//! refused cursor.

use reqwest::Response;
use serde_json::Value;
use std::time::Duration;

use crate::helpers::{TestApp, assert_envelope, header, id_of, invalid_fields, json_of};

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list[key].as_array().expect(key).iter().map(id_of).collect()
}

/// The target of a `Link: <target>; rel="next"` header, checked for shape.
fn next_link(response: &Response) -> Option<String> {
    let link = header(response, "link")?;
    let target = link
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix(">; rel=\"next\""))
        .unwrap_or_else(|| panic!("a Link header of one rel=\"next\" target: {link}"));
    Some(target.to_owned())
}

/// Follows `Link` headers from `first` to the end, checking that each page's
/// `next_cursor` is the link's cursor and its `total` is `total`; answers
/// every page's body.
async fn follow(app: &TestApp, first: &str, token: &str, total: u64) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut path = Some(first.to_owned());
    while let Some(current) = path.take() {
        let response = app.get(&current, Some(token)).await;
        let link = next_link(&response);
        let page = json_of(response, 200).await;
        assert_eq!(page["total"], total, "{current}: {page}");
        match (&link, page["next_cursor"].as_str()) {
            (Some(link), Some(cursor)) => {
                assert!(link.contains(&format!("cursor={cursor}&")), "{link}");
            }
            (None, None) => assert!(page["next_cursor"].is_null(), "{page}"),
            other => panic!("the Link header and next_cursor disagree: {other:?}, {page}"),
        }
        pages.push(page);
        path = link;
        assert!(pages.len() < 50, "the pages do not end");
    }
    pages
}

async fn alice_with_todos(app: &TestApp, count: usize) -> (String, Vec<i64>) {
    let (_, token) = app.user("alice").await;
    let mut created = Vec::new();
    for i in 0..count {
        // Some todos share an instant (ordered by id), some do not.
        if i % 3 == 0 {
            app.clock().advance(Duration::from_micros(1));
        }
        created.push(id_of(&app.create_todo(&token, &format!("todo {i}")).await));
    }
    created.reverse();
    (token, created)
}

/// `GET path` as `token`: a 422 naming the field `cursor` alone; its message.
async fn refused_cursor(app: &TestApp, token: &str, path: &str) -> String {
    let error = assert_envelope(app.get(path, Some(token)).await, 422).await;
    assert_eq!(invalid_fields(&error), ["cursor"], "{path:.80}: {error}");
    error["details"]["validation_errors"][0]["message"]
        .as_str()
        .expect("a message")
        .to_owned()
}

#[tokio::test]
async fn todo_pages_by_cursor_walk_every_todo_once_newest_first_with_link_headers() {
    let app = TestApp::spawn().await;
    let (token, newest_first) = alice_with_todos(&app, 8).await;

    let pages = follow(&app, "/v1/todos?page_size=3", &token, 8).await;

    assert_eq!(pages.len(), 3);
    let walked: Vec<i64> = pages.iter().flat_map(|p| ids(p, "todos")).collect();
    assert_eq!(walked, newest_first);
    for (number, page) in (1..).zip(&pages) {
        assert_eq!(page["page"], number, "{page}");
        assert_eq!(page["page_size"], 3, "{page}");
    }
    assert!(pages[2]["next_cursor"].is_null());
    // The link repeats the page size; nothing else when there is no filter.
    let first = app.get("/v1/todos?page_size=3", Some(&token)).await;
    let link = next_link(&first).unwrap();
    let cursor = json_of(first, 200).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(link, format!("/v1/todos?cursor={cursor}&page_size=3"));
}

#[tokio::test]
async fn a_numbered_page_answers_the_cursor_of_the_page_after_it() {
    let app = TestApp::spawn().await;
    let (token, newest_first) = alice_with_todos(&app, 7).await;
    let second = json_of(
        app.get("/v1/todos?page=2&page_size=2", Some(&token)).await,
        200,
    )
    .await;
    let cursor = second["next_cursor"].as_str().unwrap();

    let third = json_of(
        app.get(&format!("/v1/todos?cursor={cursor}"), Some(&token))
            .await,
        200,
    )
    .await;

    // No page_size: the cursor's; the page is numbered after the one before.
    assert_eq!(ids(&third, "todos"), newest_first[4..6]);
    assert_eq!(third["page"], 3);
    assert_eq!(third["page_size"], 2);
    let by_number = json_of(
        app.get("/v1/todos?page=3&page_size=2", Some(&token)).await,
        200,
    )
    .await;
    assert_eq!(ids(&by_number, "todos"), ids(&third, "todos"));
    // The last page by number has no cursor and no link.
    let last = app.get("/v1/todos?page=4&page_size=2", Some(&token)).await;
    assert_eq!(next_link(&last), None);
    assert!(json_of(last, 200).await["next_cursor"].is_null());
}

#[tokio::test]
async fn a_cursor_keeps_its_filter_in_the_link_and_refuses_another() {
    let app = TestApp::spawn().await;
    let (token, newest_first) = alice_with_todos(&app, 6).await;
    for id in &newest_first[..4] {
        json_of(
            app.patch_json(
                &format!("/v1/todos/{id}"),
                &serde_json::json!({"is_completed": true}),
                Some(&token),
            )
            .await,
            200,
        )
        .await;
    }

    let pages = follow(&app, "/v1/todos?completed=true&page_size=3", &token, 4).await;
    let walked: Vec<i64> = pages.iter().flat_map(|p| ids(p, "todos")).collect();
    assert_eq!(walked, newest_first[..4]);
    let first = app
        .get("/v1/todos?completed=true&page_size=3", Some(&token))
        .await;
    let link = next_link(&first).unwrap();
    assert!(link.ends_with("&page_size=3&completed=true"), "{link}");
    let cursor = json_of(first, 200).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    for query in [
        format!("cursor={cursor}"),
        format!("cursor={cursor}&completed=false"),
        format!("cursor={cursor}&completed=true&page_size=4"),
    ] {
        let message = refused_cursor(&app, &token, &format!("/v1/todos?{query}")).await;
        assert!(message.contains("another query"), "{message}");
    }
    // The same filter and page size, spelled differently, are the same query.
    let page = json_of(
        app.get(
            &format!("/v1/todos?completed=1&page_size=3&cursor={cursor}"),
            Some(&token),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ids(&page, "todos"), newest_first[3..4]);
}

#[tokio::test]
async fn a_modified_forged_or_empty_cursor_is_422_and_never_500() {
    let app = TestApp::spawn().await;
    let (token, _) = alice_with_todos(&app, 3).await;
    let cursor =
        json_of(app.get("/v1/todos?page_size=1", Some(&token)).await, 200).await["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut changed = cursor.clone().into_bytes();
    let middle = changed.len() / 2;
    changed[middle] = if changed[middle] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();

    for bad in [
        changed.as_str(),
        &cursor[..cursor.len() - 1],
        &format!("{cursor}A"),
        "",
        "not-a-cursor",
        "%00%ff",
        &"A".repeat(5_000),
    ] {
        let message = refused_cursor(&app, &token, &format!("/v1/todos?cursor={bad}")).await;
        assert!(
            message.contains("not a cursor this service issued"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_cursor_with_page_is_422_naming_the_cursor() {
    let app = TestApp::spawn().await;
    let (token, _) = alice_with_todos(&app, 3).await;
    let cursor =
        json_of(app.get("/v1/todos?page_size=1", Some(&token)).await, 200).await["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();

    for query in [
        format!("cursor={cursor}&page=2"),
        format!("page=1&cursor={cursor}"),
    ] {
        let message = refused_cursor(&app, &token, &format!("/v1/todos?{query}")).await;
        assert!(
            message.contains("cannot be combined with page"),
            "{message}"
        );
    }
    // Every bad parameter at once: a bad page_size too.
    let error = assert_envelope(
        app.get(
            &format!("/v1/todos?cursor={cursor}&page=1&page_size=x"),
            Some(&token),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(invalid_fields(&error), ["page_size", "cursor"], "{error}");
}

#[tokio::test]
async fn another_users_cursor_is_refused_and_shows_nothing_of_theirs() {
    let app = TestApp::spawn().await;
    let (alice_token, _) = alice_with_todos(&app, 3).await;
    let (_, bob_token) = app.user("bob").await;
    app.create_todo(&bob_token, "bob's").await;
    let alices = json_of(
        app.get("/v1/todos?page_size=1", Some(&alice_token)).await,
        200,
    )
    .await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let error = assert_envelope(
        app.get(&format!("/v1/todos?cursor={alices}"), Some(&bob_token))
            .await,
        422,
    )
    .await;
    assert_eq!(invalid_fields(&error), ["cursor"]);
    assert!(!error.to_string().contains("todo "), "{error}");
}

#[tokio::test]
async fn admins_page_users_by_cursor_and_a_cursor_is_bound_to_its_list_and_admin() {
    let app = TestApp::spawn().await;
    let (root, root_token) = app.admin("root").await;
    let (second, other_admin) = app.admin("second_root").await;
    let mut all = vec![id_of(&root), id_of(&second)];
    for name in ["u_one", "u_two", "u_three", "u_four"] {
        all.push(id_of(&app.register(name).await));
    }
    all.sort_unstable();

    let pages = follow(&app, "/v1/users?page_size=2", &root_token, 6).await;

    let walked: Vec<i64> = pages.iter().flat_map(|p| ids(p, "users")).collect();
    assert_eq!(walked, all, "every user once, by id");
    assert_eq!(pages.len(), 3);
    let cursor = pages[0]["next_cursor"].as_str().unwrap().to_owned();
    // Another admin, or the todo list, refuses it.
    refused_cursor(&app, &other_admin, &format!("/v1/users?cursor={cursor}")).await;
    refused_cursor(&app, &root_token, &format!("/v1/todos?cursor={cursor}")).await;
    // A member gets 403, cursor or not: the role is checked first.
    let (_, member) = app.user("member").await;
    let error = assert_envelope(
        app.get(&format!("/v1/users?cursor={cursor}"), Some(&member))
            .await,
        403,
    )
    .await;
    assert_eq!(error["status_code"], 403);
}
