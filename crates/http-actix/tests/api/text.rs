//! Text round-trips exactly through every text field, whatever it holds.

use serde_json::json;

use crate::helpers::{TestApp, id_of, json_of, registration};

/// Values a store or a careless layer tends to mangle.
const TRICKY: &[&str] = &[
    "emoji 🦀🎉 👩‍👩‍👧‍👦 and flags 🇫🇷",
    "\u{200F}שלום עולם\u{200F} mixed RTL",
    "Arabic مرحبا and Zalgo Z̷̢̛a̶l̸g̵o",
    r#"quotes "double" 'single' `back` «guillemets»"#,
    "'; DROP TABLE todos; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    r"back\slashes \\ \n \t \u0041 C:\path\",
    "percent %s %d %% {} {0} $1 ? :name",
    "<script>alert('x')</script> &amp; &lt;",
    "  leading and trailing spaces  ",
    "line\nbreaks\r\nand\ttabs",
    "zero\u{200B}width\u{FEFF}chars",
    "control \u{1} \u{1F} \u{7F} chars",
    "日本語のテキスト",
];

#[tokio::test]
async fn todo_title_and_description_round_trip_exactly() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for text in TRICKY {
        let body = json!({"title": text, "description": text});
        let todo = json_of(app.post_json("/v1/todos", &body, Some(&token)).await, 201).await;
        assert_eq!(todo["title"], *text);
        assert_eq!(todo["description"], *text);
        let read = json_of(
            app.get(&format!("/v1/todos/{}", id_of(&todo)), Some(&token))
                .await,
            200,
        )
        .await;
        assert_eq!(read["title"], *text);
        assert_eq!(read["description"], *text);
    }
    let list = json_of(app.get("/v1/todos?page_size=100", Some(&token)).await, 200).await;
    assert_eq!(list["total"], TRICKY.len());
    let mut titles: Vec<&str> = list["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    titles.reverse();
    assert_eq!(titles, TRICKY);
}

#[tokio::test]
async fn todo_patch_round_trips_exactly() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "plain").await;
    let path = format!("/v1/todos/{}", id_of(&todo));
    for text in TRICKY {
        let body = json!({"title": text, "description": text});
        let updated = json_of(app.patch_json(&path, &body, Some(&token)).await, 200).await;
        assert_eq!(updated["title"], *text);
        let read = json_of(app.get(&path, Some(&token)).await, 200).await;
        assert_eq!(read["title"], *text);
        assert_eq!(read["description"], *text);
    }
}

#[tokio::test]
async fn full_name_round_trips_exactly() {
    let app = TestApp::spawn().await;
    for (i, text) in TRICKY.iter().enumerate() {
        let mut body = registration(&format!("user_{i}"));
        body["full_name"] = json!(text);
        let user = json_of(app.post_json("/v1/auth/register", &body, None).await, 201).await;
        assert_eq!(user["full_name"], *text);
        let token = app.token_for(&format!("user_{i}")).await;
        let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
        assert_eq!(me["full_name"], *text);
    }
    let (alice, token) = app.user("alice").await;
    let path = format!("/v1/users/{}", id_of(&alice));
    for text in TRICKY {
        let updated = json_of(
            app.patch_json(&path, &json!({"full_name": text}), Some(&token))
                .await,
            200,
        )
        .await;
        assert_eq!(updated["full_name"], *text);
        let read = json_of(app.get(&path, Some(&token)).await, 200).await;
        assert_eq!(read["full_name"], *text);
    }
}

#[tokio::test]
async fn unicode_passwords_round_trip_exactly() {
    let app = TestApp::spawn().await;
    let password = "pässwörd 🔑 \u{200F}'; --";
    let mut body = registration("alice");
    body["password"] = json!(password);
    json_of(app.post_json("/v1/auth/register", &body, None).await, 201).await;
    json_of(app.login("alice", password).await, 200).await;
    // The same text in another Unicode normal form is another password.
    let decomposed = "pa\u{308}sswo\u{308}rd 🔑 \u{200F}'; --";
    let status = app.login("alice", decomposed).await.status().as_u16();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn sql_looking_usernames_and_emails_do_nothing() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    for login in [
        "' OR '1'='1",
        "alice' --",
        "%",
        "_____",
        "alice%",
        "ALICE'; DROP TABLE users; --",
    ] {
        let status = app
            .login(login, crate::helpers::PASSWORD)
            .await
            .status()
            .as_u16();
        assert_eq!(status, 401, "{login:?} must not log in");
    }
    json_of(app.login("alice", crate::helpers::PASSWORD).await, 200).await;
}
