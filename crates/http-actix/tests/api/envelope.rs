//! Conventions shared by every endpoint: request ids, timing and security
//! headers, the error envelope for errors produced outside the handlers
//! (routing, methods, bodies) and path ids.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    TestApp, assert_common_headers, assert_envelope, header, id_of, invalid_fields, json_of,
};

const JSON: &str = "application/json";

#[tokio::test]
async fn a_valid_request_id_is_echoed() {
    let app = TestApp::spawn().await;
    for id in ["abc-123_X.y", "a", &"Z9._-".repeat(25), &"a".repeat(128)] {
        let response = app
            .client
            .get(app.url("/v1/health"))
            .header("X-Request-ID", id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-request-id").as_deref(), Some(id));
    }
}

#[tokio::test]
async fn an_invalid_request_id_is_replaced_by_a_uuid() {
    let app = TestApp::spawn().await;
    let too_long = "a".repeat(129);
    for bad in [
        "",
        "has space",
        "semi;colon",
        "slash/es",
        "quote\"d",
        "<script>",
        "a,b",
        too_long.as_str(),
    ] {
        let response = app
            .client
            .get(app.url("/v1/health"))
            .header("X-Request-ID", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let id = header(&response, "x-request-id").unwrap();
        assert_ne!(id, bad);
        assert!(
            uuid::Uuid::parse_str(&id).is_ok(),
            "{bad:?} became {id:?}, not a UUID"
        );
    }
}

#[tokio::test]
async fn a_request_id_is_generated_when_none_is_sent() {
    let app = TestApp::spawn().await;
    let first = app.get("/v1/health", None).await;
    let second = app.get("/v1/health", None).await;
    let first = header(&first, "x-request-id").unwrap();
    let second = header(&second, "x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&first).is_ok());
    assert_ne!(first, second, "each request gets its own id");
}

#[tokio::test]
async fn the_envelope_names_the_echoed_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/v1/todos"))
        .header("X-Request-ID", "trace-me.42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "x-request-id").as_deref(),
        Some("trace-me.42")
    );
    assert_envelope(response, 401).await;
}

#[tokio::test]
async fn the_envelope_names_the_replacement_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/v1/nowhere"))
        .header("X-Request-ID", "not valid!")
        .send()
        .await
        .unwrap();
    let id = header(&response, "x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    // assert_envelope checks request_id == the header.
    assert_envelope(response, 404).await;
}

#[tokio::test]
async fn every_response_carries_process_time_and_nosniff() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let responses = vec![
        app.get("/v1/health", None).await,
        app.get("/v1/auth/me", Some(&token)).await,
        app.get("/v1/todos", Some(&token)).await,
        app.post_json("/v1/todos", &json!({"title": "t"}), Some(&token))
            .await,
        app.get("/v1/todos", None).await,
        app.get("/v1/nowhere", None).await,
        app.request(Method::PUT, "/v1/todos", Some(&token))
            .send()
            .await
            .unwrap(),
        app.post_json("/v1/todos", &json!({"title": ""}), Some(&token))
            .await,
        app.get("/v1/todos/999", Some(&token)).await,
        app.send_raw(
            Method::POST,
            "/v1/todos",
            Some("text/plain"),
            "x",
            Some(&token),
        )
        .await,
        app.delete("/v1/todos/1", Some(&token)).await,
    ];
    for response in &responses {
        assert_common_headers(response);
    }
}

#[tokio::test]
async fn unknown_route_is_404_envelope() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/nowhere",
        "/nowhere",
        "/",
        "/v2/health",
        "/v1/todos/1/extra",
        "/v1/auth",
    ] {
        let response = app.get(path, None).await;
        assert_common_headers(&response);
        assert_envelope(response, 404).await;
    }
    let response = app.post_json("/v1/nowhere", &json!({}), None).await;
    assert_envelope(response, 404).await;
}

#[tokio::test]
async fn wrong_method_is_405_envelope() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    // Each with the `Allow` header RFC 9110 requires on a 405.
    let cases = [
        (Method::PUT, "/v1/todos", "GET, POST"),
        (Method::DELETE, "/v1/todos", "GET, POST"),
        (Method::PUT, "/v1/todos/1", "GET, PATCH, DELETE"),
        (Method::POST, "/v1/todos/1", "GET, PATCH, DELETE"),
        (Method::POST, "/v1/health", "GET"),
        (Method::GET, "/v1/auth/login", "POST"),
        (Method::GET, "/v1/auth/register", "POST"),
        (Method::POST, "/v1/auth/me", "GET"),
        (Method::PUT, "/v1/users/1", "GET, PATCH, DELETE"),
        (Method::DELETE, "/v1/users", "GET, POST"),
        (Method::TRACE, "/v1/users", "GET, POST"),
    ];
    for (method, path, allow) in cases {
        let response = app
            .request(method.clone(), path, Some(&token))
            .send()
            .await
            .unwrap();
        assert_common_headers(&response);
        let status = response.status().as_u16();
        assert_eq!(status, 405, "{method} {path}");
        let mut allowed: Vec<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(", ")
            .map(str::to_owned)
            .collect();
        let mut expected: Vec<String> = allow.split(", ").map(str::to_owned).collect();
        allowed.sort();
        expected.sort();
        assert_eq!(allowed, expected, "Allow of {method} {path}");
        assert_envelope(response, 405).await;
    }
}

#[tokio::test]
async fn malformed_json_is_an_envelope_with_validation_errors() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let bodies = [
        "{",
        "{\"title\": }",
        "not json",
        "{\"title\": \"a\",}",
        "{\"title\": \"a\"} trailing",
        "",
        "{'title': 'a'}",
    ];
    for body in bodies {
        let response = app
            .send_raw(Method::POST, "/v1/todos", Some(JSON), body, Some(&token))
            .await;
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{body:?} → {status}");
        let error = assert_envelope(response, status).await;
        if status == 422 {
            assert!(!invalid_fields(&error).is_empty(), "{error}");
        }
    }
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/register",
            Some(JSON),
            "{\"email\":",
            None,
        )
        .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_envelope(response, status).await;
}

#[tokio::test]
async fn a_json_value_of_the_wrong_type_is_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for body in [
        json!({"title": 5}),
        json!({"title": ["a"]}),
        json!({"title": {"a": 1}}),
    ] {
        let response = app.post_json("/v1/todos", &body, Some(&token)).await;
        let error = assert_envelope(response, 422).await;
        assert!(
            invalid_fields(&error).iter().any(|f| f.contains("title")),
            "{error}"
        );
    }
    for body in [json!([]), json!("title"), json!(42), json!(null)] {
        let response = app.post_json("/v1/todos", &body, Some(&token)).await;
        assert_envelope(response, 422).await;
    }
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_an_envelope() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let body = r#"{"title": "a todo"}"#;
    for content_type in [
        Some("text/plain"),
        Some("application/xml"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let response = app
            .send_raw(Method::POST, "/v1/todos", content_type, body, Some(&token))
            .await;
        let status = response.status().as_u16();
        assert!(
            [400, 415, 422].contains(&status),
            "{content_type:?} → {status}"
        );
        assert_envelope(response, status).await;
    }
    let registration = serde_json::to_string(&crate::helpers::registration("bob")).unwrap();
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/register",
            Some("text/plain"),
            registration,
            None,
        )
        .await;
    let status = response.status().as_u16();
    assert!([400, 415, 422].contains(&status), "{status}");
    assert_envelope(response, status).await;
    let response = app
        .send_raw(
            Method::PATCH,
            "/v1/todos/1",
            None,
            r#"{"title": "b"}"#,
            Some(&token),
        )
        .await;
    let status = response.status().as_u16();
    assert!([400, 404, 415, 422].contains(&status), "{status}");
    assert_envelope(response, status).await;
}

#[tokio::test]
async fn json_content_type_with_charset_is_accepted() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let response = app
        .send_raw(
            Method::POST,
            "/v1/todos",
            Some("application/json; charset=utf-8"),
            r#"{"title": "with charset"}"#,
            Some(&token),
        )
        .await;
    let todo = json_of(response, 201).await;
    assert_eq!(todo["title"], "with charset");
}

#[tokio::test]
async fn body_over_64_kib_is_413_envelope() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let big = json!({"title": "t", "description": "x".repeat(70 * 1024)}).to_string();
    let response = app
        .send_raw(
            Method::POST,
            "/v1/todos",
            Some(JSON),
            big.clone(),
            Some(&token),
        )
        .await;
    assert_common_headers(&response);
    assert_envelope(response, 413).await;

    let response = app
        .send_raw(Method::PATCH, "/v1/todos/1", Some(JSON), big, Some(&token))
        .await;
    assert_envelope(response, 413).await;

    let mut registration = crate::helpers::registration("bob");
    registration["full_name"] = json!("y".repeat(65 * 1024));
    let response = app
        .post_json("/v1/auth/register", &registration, None)
        .await;
    assert_envelope(response, 413).await;

    let form = format!("username=alice&password={}", "p".repeat(70 * 1024));
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/login",
            Some("application/x-www-form-urlencoded"),
            form,
            None,
        )
        .await;
    assert_envelope(response, 413).await;
}

#[tokio::test]
async fn body_under_the_limit_is_not_413() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    // ~60 KiB: read in full, then refused for its content, not its size.
    let body = json!({"title": "t".repeat(60 * 1024)});
    let response = app.post_json("/v1/todos", &body, Some(&token)).await;
    let error = assert_envelope(response, 422).await;
    assert_eq!(invalid_fields(&error), ["title"]);
}

#[tokio::test]
async fn a_non_integer_path_id_is_422() {
    let app = TestApp::spawn().await;
    let (admin, token) = app.admin("root").await;
    for path in [
        "/v1/todos/abc",
        "/v1/todos/1.5",
        "/v1/todos/1e3",
        "/v1/users/abc",
        "/v1/users/0x10",
    ] {
        let response = app.get(path, Some(&token)).await;
        assert_envelope(response, 422).await;
    }
    let response = app
        .patch_json("/v1/todos/abc", &json!({"title": "x"}), Some(&token))
        .await;
    assert_envelope(response, 422).await;
    let response = app.delete("/v1/todos/abc", Some(&token)).await;
    assert_envelope(response, 422).await;
    let response = app.delete("/v1/users/abc", Some(&token)).await;
    assert_envelope(response, 422).await;
    // The admin is still there.
    let response = app
        .get(&format!("/v1/users/{}", id_of(&admin)), Some(&token))
        .await;
    json_of(response, 200).await;
}

#[tokio::test]
async fn an_integer_path_id_naming_no_row_is_404() {
    let app = TestApp::spawn().await;
    let (_, token) = app.admin("root").await;
    for id in [
        "0",
        "-1",
        "99999999999999999999",
        "9223372036854775807",
        "9223372036854775808",
        "123456",
    ] {
        for resource in ["todos", "users"] {
            let path = format!("/v1/{resource}/{id}");
            let response = app.get(&path, Some(&token)).await;
            assert_envelope(response, 404).await;
            let response = app
                .patch_json(
                    &path,
                    &json!({"full_name": "x", "title": "x"}),
                    Some(&token),
                )
                .await;
            assert_envelope(response, 404).await;
            let response = app.delete(&path, Some(&token)).await;
            assert_envelope(response, 404).await;
        }
    }
}

#[tokio::test]
async fn a_trailing_slash_works_or_is_404_envelope() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "slash").await;
    let paths = [
        "/v1/health/".to_owned(),
        "/v1/todos/".to_owned(),
        "/v1/auth/me/".to_owned(),
        format!("/v1/todos/{}/", id_of(&todo)),
        "/v1/health//".to_owned(),
    ];
    for path in &paths {
        let response = app.get(path, Some(&token)).await;
        assert_common_headers(&response);
        match response.status().as_u16() {
            200 => {}
            404 => {
                assert_envelope(response, 404).await;
            }
            other => panic!("GET {path} → {other}"),
        }
    }
    let response = app
        .post_json("/v1/todos/", &json!({"title": "slashed"}), Some(&token))
        .await;
    match response.status().as_u16() {
        201 => {}
        404 => {
            assert_envelope(response, 404).await;
        }
        other => panic!("POST /v1/todos/ → {other}"),
    }
}

#[tokio::test]
async fn responses_are_json() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for response in [
        app.get("/v1/todos", Some(&token)).await,
        app.get("/v1/nowhere", None).await,
    ] {
        let content_type = header(&response, "content-type").unwrap();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
    }
}

#[tokio::test]
async fn a_non_ascii_request_id_is_replaced_by_a_uuid() {
    let app = TestApp::spawn().await;
    let value = reqwest::header::HeaderValue::from_bytes(b"caf\xe9-id").unwrap();
    let response = app
        .client
        .get(app.url("/v1/nowhere"))
        .header("X-Request-ID", value)
        .send()
        .await
        .unwrap();
    let id = header(&response, "x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_envelope(response, 404).await;
}

#[tokio::test]
async fn page_numbers_beyond_the_documented_int64_are_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.admin("root").await;
    for resource in ["todos", "users"] {
        let response = app
            .get(
                &format!("/v1/{resource}?page=9223372036854775808"),
                Some(&token),
            )
            .await;
        let error = assert_envelope(response, 422).await;
        assert_eq!(invalid_fields(&error), ["page"]);
        // The largest documented page is valid, and empty.
        let response = app
            .get(
                &format!("/v1/{resource}?page=9223372036854775807"),
                Some(&token),
            )
            .await;
        assert_eq!(response.status(), 200, "{resource}");
    }
}

#[tokio::test]
async fn huge_page_numbers_are_an_empty_page_or_422() {
    let app = TestApp::spawn().await;
    let (_, token) = app.admin("root").await;
    app.create_todo(&token, "t").await;
    for query in [
        "page=92233720368547758&page_size=100",
        "page=9223372036854775807",
        "page=18446744073709551615&page_size=100",
        "page=99999999999999999999999",
        "page_size=18446744073709551616",
    ] {
        for resource in ["todos", "users"] {
            let response = app
                .get(&format!("/v1/{resource}?{query}"), Some(&token))
                .await;
            match response.status().as_u16() {
                200 => {
                    let body: serde_json::Value = response.json().await.unwrap();
                    assert_eq!(body[resource], json!([]), "{resource}?{query}");
                    assert_eq!(body["total"], 1);
                }
                422 => {
                    assert_envelope(response, 422).await;
                }
                other => panic!("{resource}?{query} → {other}"),
            }
        }
    }
}

#[tokio::test]
async fn deeply_nested_json_is_never_a_server_error() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let depth = 20_000;
    let deep = |field: &str| {
        format!(
            "{{\"title\": \"t\", \"{field}\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    // In an ignored field (skipped without recursion) or in a parsed one.
    for body in [deep("extra"), deep("description")] {
        let response = app
            .send_raw(Method::POST, "/v1/todos", Some(JSON), body, Some(&token))
            .await;
        let status = response.status().as_u16();
        assert!([201, 400, 422].contains(&status), "{status}");
        if status != 201 {
            assert_envelope(response, status).await;
        }
    }
    json_of(app.get("/v1/health", None).await, 200).await;
}

#[tokio::test]
async fn wrong_content_type_on_user_endpoints_is_an_envelope() {
    let app = TestApp::spawn().await;
    let (admin, token) = app.admin("root").await;
    let body = serde_json::to_string(&crate::helpers::registration("bob")).unwrap();
    let response = app
        .send_raw(
            Method::POST,
            "/v1/users",
            Some("text/plain"),
            body,
            Some(&token),
        )
        .await;
    let status = response.status().as_u16();
    assert!([400, 415, 422].contains(&status), "{status}");
    assert_envelope(response, status).await;
    let path = format!("/v1/users/{}", id_of(&admin));
    let response = app
        .send_raw(
            Method::PATCH,
            &path,
            None,
            r#"{"full_name": "x"}"#,
            Some(&token),
        )
        .await;
    let status = response.status().as_u16();
    assert!([400, 415, 422].contains(&status), "{status}");
    assert_envelope(response, status).await;
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(me["full_name"], admin["full_name"]);
}

#[tokio::test]
async fn a_path_id_in_any_but_canonical_decimal_is_422_even_when_its_value_exists() {
    let app = TestApp::spawn().await;
    let (admin, token) = app.admin("root").await;
    let todo = app.create_todo(&token, "one address per todo").await;
    let ids = [
        ("todos", id_of(&todo).to_string()),
        ("users", id_of(&admin).to_string()),
    ];
    for (resource, id) in &ids {
        // The canonical form names the resource...
        let response = app.get(&format!("/v1/{resource}/{id}"), Some(&token)).await;
        json_of(response, 200).await;
        // ...and no other spelling of the same number does.
        for alias in [format!("+{id}"), format!("0{id}"), format!("00{id}")] {
            let path = format!("/v1/{resource}/{alias}");
            let response = app.get(&path, Some(&token)).await;
            let error = assert_envelope(response, 422).await;
            assert_eq!(invalid_fields(&error), ["id"], "{path}");
            let response = app.delete(&path, Some(&token)).await;
            assert_envelope(response, 422).await;
        }
    }
    // Nothing was deleted through an alias.
    for (resource, id) in &ids {
        let response = app.get(&format!("/v1/{resource}/{id}"), Some(&token)).await;
        json_of(response, 200).await;
    }
}

#[tokio::test]
async fn query_parameters_an_endpoint_does_not_define_are_ignored() {
    let app = TestApp::spawn().await;
    let (_, token) = app.admin("root").await;
    app.create_todo(&token, "t").await;
    for path in [
        "/v1/users?completed=maybe",
        "/v1/users?page=1&sort=name&completed=",
        "/v1/todos?unknown=1&page_size=5",
    ] {
        let response = app.get(path, Some(&token)).await;
        let body = json_of(response, 200).await;
        // One admin, one todo: the unknown parameters filtered nothing.
        assert_eq!(body["total"], 1, "{path}");
    }
    // A parameter an endpoint does define is still checked.
    let response = app.get("/v1/todos?completed=maybe", Some(&token)).await;
    let error = assert_envelope(response, 422).await;
    assert_eq!(invalid_fields(&error), ["completed"]);
}

#[tokio::test]
async fn a_page_size_far_out_of_range_names_its_own_bound() {
    let app = TestApp::spawn().await;
    let (_, token) = app.admin("root").await;
    for resource in ["todos", "users"] {
        for (query, message) in [
            (
                "page_size=99999999999999999999",
                "must be an integer from 1 to 100",
            ),
            ("page_size=101", "must be between 1 and 100"),
            (
                "page=99999999999999999999",
                "must be an integer from 1 to 9223372036854775807",
            ),
        ] {
            let response = app
                .get(&format!("/v1/{resource}?{query}"), Some(&token))
                .await;
            let error = assert_envelope(response, 422).await;
            let refused = &error["details"]["validation_errors"][0];
            assert_eq!(refused["message"], message, "{resource}?{query}: {error}");
        }
    }
}
