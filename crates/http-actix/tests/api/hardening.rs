//! HTTP hardening: security headers, no server banner, the CORS allow-list,
//! request timeouts for slow clients, and oversized headers.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, assert_envelope, header, json_of};

const ALLOWED: &str = "https://app.example.com";

#[tokio::test]
async fn every_response_has_the_security_headers_and_no_server_banner() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for response in [
        app.get("/v1/health", None).await,
        app.get("/v1/auth/me", Some(&token)).await,
        app.get("/v1/auth/me", None).await,
        app.get("/nowhere", None).await,
        app.request(Method::PUT, "/v1/todos", None)
            .send()
            .await
            .unwrap(),
        app.get("/.well-known/jwks.json", None).await,
        app.login("alice", crate::helpers::PASSWORD).await,
    ] {
        let status = response.status();
        assert_eq!(
            header(&response, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{status}"
        );
        assert_eq!(
            header(&response, "x-frame-options").as_deref(),
            Some("DENY"),
            "{status}"
        );
        assert!(
            header(&response, "server").is_none(),
            "{status}: a Server header"
        );
        assert!(header(&response, "x-powered-by").is_none(), "{status}");
    }
}

async fn with_origin(app: &TestApp, method: Method, path: &str, origin: &str) -> reqwest::Response {
    app.request(method, path, None)
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

async fn preflight(
    app: &TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> reqwest::Response {
    app.request(Method::OPTIONS, path, None)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_allowed_origin_gets_itself_back_and_never_credentials() {
    let app =
        TestApp::spawn_with(&[("CORS_ORIGINS", &format!("{ALLOWED},http://localhost:3000"))]).await;
    let response = with_origin(&app, Method::GET, "/v1/health", ALLOWED).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert!(header(&response, "access-control-allow-credentials").is_none());
    let exposed = header(&response, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.to_ascii_lowercase().contains("x-request-id"),
        "{exposed}"
    );
    let vary = header(&response, "vary").unwrap_or_default();
    assert!(vary.to_ascii_lowercase().contains("origin"), "{vary}");
    // An error answer is readable too.
    let response = with_origin(&app, Method::GET, "/v1/auth/me", "http://localhost:3000").await;
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
    assert_envelope(response, 401).await;
}

#[tokio::test]
async fn an_unknown_origin_is_never_reflected() {
    let app = TestApp::spawn_with(&[("CORS_ORIGINS", ALLOWED)]).await;
    for origin in [
        "https://evil.example.com",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://APP.example.com",
        "null",
        "*",
    ] {
        let response = with_origin(&app, Method::GET, "/v1/health", origin).await;
        assert_eq!(response.status(), 200, "{origin}");
        assert!(
            header(&response, "access-control-allow-origin").is_none(),
            "{origin}"
        );
        assert!(
            header(&response, "access-control-allow-credentials").is_none(),
            "{origin}"
        );
        let response = preflight(&app, "/v1/auth/login", origin, "POST", "content-type").await;
        assert!(
            header(&response, "access-control-allow-origin").is_none(),
            "{origin}"
        );
        assert!(
            response.status().is_client_error(),
            "{origin}: {}",
            response.status()
        );
        assert_envelope(response, 400).await;
    }
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered() {
    let app = TestApp::spawn_with(&[("CORS_ORIGINS", ALLOWED)]).await;
    let response = preflight(
        &app,
        "/v1/todos/1",
        ALLOWED,
        "PATCH",
        "authorization,content-type",
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    let methods = header(&response, "access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = header(&response, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(header(&response, "access-control-allow-credentials").is_none());
    assert!(header(&response, "access-control-max-age").is_some());
    assert!(header(&response, "x-request-id").is_some());
    // A header we do not accept is refused.
    let response = preflight(&app, "/v1/todos", ALLOWED, "POST", "x-evil").await;
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn without_cors_origins_there_are_no_cors_headers() {
    let app = TestApp::spawn().await;
    let response = with_origin(&app, Method::GET, "/v1/health", ALLOWED).await;
    assert_eq!(response.status(), 200);
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
    ] {
        assert!(header(&response, name).is_none(), "{name}");
    }
    let response = preflight(&app, "/v1/auth/login", ALLOWED, "POST", "content-type").await;
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert!(response.status().is_client_error());
}

/// Sends `head` (and `body`) on a raw connection and returns what the
/// server answered before it closed or `limit` passed, and how long it took.
async fn raw_exchange(
    app: &TestApp,
    head: &str,
    body: &[u8],
    limit: Duration,
) -> (String, Duration) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    // The server may answer (and close) before taking it all.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    while let Ok(Ok(read)) = tokio::time::timeout(
        limit.saturating_sub(started.elapsed()),
        stream.read(&mut buffer),
    )
    .await
    {
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn status_of(answer: &str) -> Option<u16> {
    answer.split(' ').nth(1).and_then(|code| code.parse().ok())
}

fn json_body_of(answer: &str) -> Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

#[tokio::test]
async fn a_slow_body_is_cut_off_with_408_in_the_envelope() {
    let app = TestApp::spawn_with(&[("REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let head = "POST /v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\nX-Request-ID: slow-body\r\n\r\n";
    let (answer, took) = raw_exchange(&app, head, b"{\"username\":", Duration::from_secs(10)).await;
    assert_eq!(status_of(&answer), Some(408), "{answer}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        head.contains("\r\nx-content-type-options: nosniff"),
        "{answer}"
    );
    assert!(head.contains("\r\nx-frame-options: deny"), "{answer}");
    assert!(head.contains("\r\nconnection: close"), "{answer}");
    let body = json_body_of(&answer);
    assert_eq!(body["error"]["status_code"], 408, "{body}");
    assert_eq!(body["error"]["type"], "client_error");
    assert_eq!(body["request_id"], "slow-body");
    // The server is fine for everyone else.
    json_of(app.get("/v1/health/live", None).await, 200).await;
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let app = TestApp::spawn_with(&[("REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let (answer, took) = raw_exchange(
        &app,
        "GET /v1/health HTTP/1.1\r\nHost: test\r\nX-Slow: ",
        b"",
        Duration::from_secs(10),
    )
    .await;
    // actix answers a bare 408 itself (before any middleware) and closes.
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(matches!(status_of(&answer), None | Some(408)), "{answer}");
}

#[tokio::test]
async fn a_request_head_over_actixs_limit_is_431_never_500() {
    let app = TestApp::spawn().await;
    // 200 KiB of header: past actix's 128 KiB request-head buffer, which
    // answers by itself (before our middleware, so without the envelope).
    let head = format!(
        "GET /v1/auth/me HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\r\n",
        "A".repeat(200 * 1024)
    );
    let (answer, _) = raw_exchange(&app, &head, b"", Duration::from_secs(10)).await;
    if let Some(status) = status_of(&answer) {
        assert!(matches!(status, 400 | 431), "{status}");
    }
    json_of(app.get("/v1/health/live", None).await, 200).await;
}

#[tokio::test]
async fn head_is_answered_wherever_get_is_with_the_same_headers_and_no_body() {
    let app = TestApp::spawn_with(&[("DEBUG", "true")]).await;
    let (_, token) = app.user("alice").await;
    let todo = app.create_todo(&token, "head").await;
    let todo_path = format!("/v1/todos/{}", todo["id"]);
    for (path, auth) in [
        ("/v1/health", None),
        ("/v1/health/live", None),
        ("/openapi.json", None),
        ("/metrics", None),
        ("/docs", None),
        ("/docs/swagger-ui.css", None),
        ("/redoc", None),
        ("/.well-known/jwks.json", None),
        ("/v1/auth/me", Some(token.as_str())),
        (todo_path.as_str(), Some(token.as_str())),
        ("/v1/todos?page=1", Some(token.as_str())),
    ] {
        let get = app.request(Method::GET, path, auth).send().await.unwrap();
        let head = app.request(Method::HEAD, path, auth).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(get.status(), 200, "{path}");
        assert_eq!(
            header(&head, "content-type"),
            header(&get, "content-type"),
            "{path}"
        );
        // The length of the body GET would have sent; the two bodies of
        // /metrics and /v1/health (counters, clocks) may differ in length.
        let head_length = header(&head, "content-length");
        assert!(head_length.as_deref().is_some_and(|l| l != "0"), "{path}");
        if !["/metrics", "/v1/health"].contains(&path) {
            assert_eq!(head_length, header(&get, "content-length"), "{path}");
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "{path}: a HEAD body"
        );
    }
    // HEAD on a route without GET is what GET would get there: 405.
    let head = app
        .request(Method::HEAD, "/v1/auth/login", None)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 405);
    // HEAD needs what GET needs.
    let head = app
        .request(Method::HEAD, "/v1/auth/me", None)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 401);
    assert!(head.headers().contains_key("www-authenticate"));
}
