//! The OpenAPI document at `/openapi.json` and its viewers (Swagger UI at
//! `/docs`, ReDoc at `/redoc`, only with `DEBUG=true`).
//!
//! The documented operations must be exactly the routes the server has. Both
//! come from one list, `http_actix::routes::endpoints()` (each handler's
//! `#[utoipa::path]`): the tests check the served document against that list,
//! then against the running server itself (every documented operation is
//! routed; an undocumented method on a documented path is 405).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, assert_common_headers, assert_envelope, header, json_of};

/// (path, METHOD) pairs.
type Operations = BTreeSet<(String, String)>;

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json", None).await;
    assert_common_headers(&response);
    let content_type = header(&response, "content-type").unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    json_of(response, 200).await
}

fn documented(doc: &Value) -> Operations {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            operations.insert((path.clone(), method.to_ascii_uppercase()));
        }
    }
    operations
}

fn registered() -> Operations {
    let mut operations = BTreeSet::new();
    for endpoint in http_actix::routes::endpoints() {
        for method in endpoint.methods() {
            operations.insert((endpoint.path().to_owned(), method.to_string()));
        }
    }
    operations
}

/// Every documented operation: (path, method, operation object).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    all
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(target) => doc
            .pointer(target.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {target}")),
        None => value,
    }
}

/// Whether `schema` is, or is built on (`allOf`, through references), the
/// component `name`.
fn is_or_extends(doc: &Value, schema: &Value, name: &str) -> bool {
    let target = format!("#/components/schemas/{name}");
    if schema["$ref"] == target.as_str() {
        return true;
    }
    let schema = resolve(doc, schema);
    schema["allOf"]
        .as_array()
        .is_some_and(|parts| parts.iter().any(|p| is_or_extends(doc, p, name)))
}

#[tokio::test]
async fn openapi_json_is_an_openapi_3_1_document_for_anyone() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1"), "{version}");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    // A token, even a bad one, changes nothing.
    let response = app.get("/openapi.json", Some("garbage")).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_documented_operations_are_exactly_the_registered_routes() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let documented = documented(&doc);
    let registered = registered();
    assert_eq!(
        documented,
        registered,
        "documented but not registered: {:?}; registered but not documented: {:?}",
        documented.difference(&registered).collect::<Vec<_>>(),
        registered.difference(&documented).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_document_covers_every_route_of_the_contract() {
    let app = TestApp::spawn().await;
    let documented = documented(&document(&app).await);
    let contract: Operations = [
        ("/v1/health", "GET"),
        ("/v1/health/live", "GET"),
        ("/v1/health/ready", "GET"),
        ("/v1/auth/register", "POST"),
        ("/v1/auth/login", "POST"),
        ("/v1/auth/refresh", "POST"),
        ("/v1/auth/me", "GET"),
        ("/v1/auth/logout", "POST"),
        ("/v1/auth/sessions", "GET"),
        ("/v1/auth/sessions/{id}", "DELETE"),
        ("/v1/auth/password", "POST"),
        ("/v1/auth/tokens", "POST"),
        ("/v1/auth/tokens", "GET"),
        ("/v1/auth/tokens/{id}", "DELETE"),
        ("/v1/auth/password/forgot", "POST"),
        ("/v1/auth/password/reset", "POST"),
        ("/v1/auth/verify-email/send", "POST"),
        ("/v1/auth/verify-email", "POST"),
        ("/v1/users/{id}/password-reset", "POST"),
        ("/.well-known/jwks.json", "GET"),
        ("/v1/users", "GET"),
        ("/v1/users", "POST"),
        ("/v1/users/{id}", "GET"),
        ("/v1/users/{id}", "PATCH"),
        ("/v1/users/{id}", "DELETE"),
        ("/v1/todos", "GET"),
        ("/v1/todos", "POST"),
        ("/v1/todos/{id}", "GET"),
        ("/v1/todos/{id}", "PATCH"),
        ("/v1/todos/{id}", "DELETE"),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_owned(), m.to_owned()))
    .collect();
    assert_eq!(documented, contract);
}

/// Asks the running server for every documented operation (ids as `1`, no
/// body, no token): none may be refused by routing (404 "Not found" or 405),
/// and a method the document does not list for a path must be 405. A 401
/// answer must match the operation's documented security, and vice versa.
#[tokio::test]
async fn every_documented_operation_is_routed_and_secured_as_documented() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for (path, method, operation) in operations(&doc) {
        let url = path.replace("{id}", "1");
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let response = app
            .request(method.clone(), &url, None)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_ne!(status, 405, "{method} {url}: routed to no method");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            !(status == 404 && body["error"]["message"] == "Not found"),
            "{method} {url}: no route"
        );
        let secured = operation["security"]
            .as_array()
            .is_some_and(|requirements| {
                let names: BTreeSet<&str> = requirements
                    .iter()
                    .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
                    .collect();
                names == BTreeSet::from(["bearer_auth", "oauth2_password"])
            });
        assert_eq!(
            status == 401,
            secured,
            "{method} {url}: answered {status} without a token, documented security: {}",
            operation["security"]
        );
    }
    // The check above can fail: a path's undocumented method is refused.
    for path in documented(&doc).iter().map(|(p, _)| p.clone()) {
        let url = path.replace("{id}", "1");
        let response = app.request(Method::PUT, &url, None).send().await.unwrap();
        assert_envelope(response, 405).await;
    }
}

#[tokio::test]
async fn every_documented_error_status_carries_the_envelope() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for (path, method, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        for (status, response) in responses {
            let code: u16 = status.parse().unwrap();
            if code < 400 {
                continue;
            }
            let response = resolve(&doc, response);
            let schema = &response["content"]["application/json"]["schema"];
            let envelope = if code == 422 {
                is_or_extends(&doc, schema, "ValidationErrorEnvelope")
            } else {
                is_or_extends(&doc, schema, "ErrorEnvelope")
            };
            assert!(envelope, "{method} {path} {status}: {response}");
            if code == 401 {
                assert!(
                    response["headers"].get("WWW-Authenticate").is_some(),
                    "{method} {path}: 401 without WWW-Authenticate"
                );
            }
        }
        let documents = |code: &str| responses.contains_key(code);
        if path.contains("{id}") {
            assert!(documents("404") && documents("422"), "{method} {path}");
        }
        if operation.get("requestBody").is_some() {
            for code in ["413", "415", "422"] {
                assert!(documents(code), "{method} {path} lacks {code}");
            }
        }
        if operation.get("security").is_some() {
            assert!(documents("401"), "{method} {path} lacks 401");
        }
    }
    let envelope = &doc["components"]["schemas"]["ErrorEnvelope"];
    assert_eq!(
        envelope["required"],
        serde_json::json!(["error", "request_id"])
    );
    let validation = &doc["components"]["schemas"]["ValidationErrorBody"];
    assert!(
        validation["required"]
            .as_array()
            .unwrap()
            .contains(&"details".into())
    );
    let details = &doc["components"]["schemas"]["ErrorDetails"];
    assert!(details["properties"]["validation_errors"].is_object());
}

#[tokio::test]
async fn security_schemes_are_a_bearer_jwt_and_the_oauth2_password_flow_at_login() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer_auth"]["type"], "http");
    assert_eq!(schemes["bearer_auth"]["scheme"], "bearer");
    assert_eq!(schemes["bearer_auth"]["bearerFormat"], "JWT");
    assert_eq!(schemes["oauth2_password"]["type"], "oauth2");
    assert_eq!(
        schemes["oauth2_password"]["flows"]["password"]["tokenUrl"],
        "/v1/auth/login"
    );
    let login = &doc["paths"]["/v1/auth/login"]["post"]["requestBody"]["content"];
    assert!(login["application/json"].is_object(), "{login}");
    assert!(
        login["application/x-www-form-urlencoded"].is_object(),
        "{login}"
    );
}

#[tokio::test]
async fn request_bodies_have_examples_and_parameters_are_described() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for (path, method, operation) in operations(&doc) {
        if let Some(content) = operation["requestBody"]["content"].as_object() {
            for (media_type, body) in content {
                assert!(
                    body.get("example").is_some() || body.get("examples").is_some(),
                    "{method} {path} {media_type}: no example"
                );
            }
        }
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap()).collect())
            .unwrap_or_default();
        if path.contains("{id}") {
            assert!(parameters.contains(&"id"), "{method} {path}");
        }
        if method == "get" && (path == "/v1/users" || path == "/v1/todos") {
            assert!(
                parameters.contains(&"page") && parameters.contains(&"page_size"),
                "{method} {path}"
            );
        }
        if method == "get" && path == "/v1/todos" {
            assert!(parameters.contains(&"completed"));
        }
    }
}

/// What Swagger UI's *Authorize* sends for the password flow.
#[tokio::test]
async fn the_swagger_ui_password_flow_request_gets_a_usable_token() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let response = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic Og==")
        .body(format!(
            "grant_type=password&username=ada&password={PASSWORD}&scope=&client_id=&client_secret="
        ))
        .send()
        .await
        .unwrap();
    let body = json_of(response, 200).await;
    let token = body["access_token"].as_str().unwrap();
    json_of(app.get("/v1/todos", Some(token)).await, 200).await;
}

const VIEWER_PATHS: [&str; 6] = [
    "/docs",
    "/docs/",
    "/docs/index.html",
    "/docs/swagger-ui.css",
    "/redoc",
    "/redoc/",
];

#[tokio::test]
async fn without_debug_docs_and_redoc_are_404_envelopes() {
    let app = TestApp::spawn_with(&[("DEBUG", "false")]).await;
    for path in VIEWER_PATHS {
        let response = app.get(path, None).await;
        assert_common_headers(&response);
        assert_envelope(response, 404).await;
    }
    // The document itself is always there.
    document(&app).await;
}

async fn html(app: &TestApp, path: &str) -> String {
    let response = app.get(path, None).await;
    assert_common_headers(&response);
    assert_eq!(response.status(), 200, "{path}");
    let content_type = header(&response, "content-type").unwrap();
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn with_debug_swagger_ui_is_at_docs_with_or_without_a_slash() {
    let app = TestApp::spawn_with(&[("DEBUG", "true")]).await;
    for path in ["/docs", "/docs/", "/docs/index.html"] {
        let page = html(&app, path).await;
        assert!(page.contains("swagger-ui"), "{path}: {page}");
        // Relative asset URLs resolve under /docs/ whatever the address.
        assert!(page.contains("<base href=\"/docs/\">"), "{path}: {page}");
    }
}

/// Every file the Swagger UI page loads comes from this server.
#[tokio::test]
async fn with_debug_swagger_ui_assets_are_served_by_the_binary() {
    let app = TestApp::spawn_with(&[("DEBUG", "true")]).await;
    let page = html(&app, "/docs").await;
    let mut assets: Vec<String> = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for part in page.split(attribute).skip(1) {
            let url = part.split('"').next().unwrap();
            if url == "/docs/" {
                continue; // the <base> itself
            }
            assert!(
                !url.starts_with("http:") && !url.starts_with("https:") && !url.starts_with("//"),
                "an external asset: {url}"
            );
            assets.push(format!("/docs/{}", url.trim_start_matches("./")));
        }
    }
    for expected in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        assert!(
            assets.iter().any(|a| a == expected),
            "{expected} in {assets:?}"
        );
    }
    for asset in &assets {
        let response = app.get(asset, None).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{asset}");
    }
    let css = app.get("/docs/swagger-ui.css", None).await;
    assert_eq!(header(&css, "content-type").as_deref(), Some("text/css"));
    let initializer = app.get("/docs/swagger-initializer.js", None).await;
    let script = initializer.text().await.unwrap();
    assert!(script.contains("/openapi.json"), "{script}");
}

#[tokio::test]
async fn with_debug_an_unknown_swagger_file_is_a_404_envelope() {
    let app = TestApp::spawn_with(&[("DEBUG", "true")]).await;
    for path in ["/docs/nothing.js", "/docs/../Cargo.toml", "/docs/a/b"] {
        let response = app.get(path, None).await;
        assert_envelope(response, 404).await;
    }
}

#[tokio::test]
async fn with_debug_redoc_is_at_redoc_and_reads_the_document() {
    let app = TestApp::spawn_with(&[("DEBUG", "true")]).await;
    for path in ["/redoc", "/redoc/"] {
        let page = html(&app, path).await;
        assert!(page.contains("spec-url=\"/openapi.json\""), "{page}");
        // Everything it loads comes from the service itself.
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
        let script = page
            .split("<script src=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no script in {page}"));
        assert!(script.starts_with("/redoc/"), "{script}");
        let response = app.get(script, None).await;
        assert_eq!(response.status(), 200, "{script}");
        assert_eq!(
            header(&response, "content-type").as_deref(),
            Some("text/javascript; charset=utf-8")
        );
        assert!(response.bytes().await.unwrap().len() > 100_000);
    }
    let page = app.get("/redoc", None).await;
    let csp = header(&page, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
}
