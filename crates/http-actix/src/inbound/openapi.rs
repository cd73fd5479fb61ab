//! The OpenAPI 3.1 document, generated from the code: the operations from
//! [`crate::inbound::routes::endpoints`] (each handler's `#[utoipa::path]`, the same
//! list the router is built from), the schemas from the bodies' `ToSchema`
//! derives, and two security schemes:
//!
//! - `bearer_auth`: `Authorization: Bearer <JWT>` with a token from
//!   `POST /v1/auth/login`, or `Bearer pat_…`, a personal access token;
//! - `oauth2_password`: the OAuth2 password flow with `tokenUrl`
//!   `/v1/auth/login`, so Swagger UI's *Authorize* logs in with a username
//!   and password and then sends the token it gets.
//!
//! Protected operations accept either. Served at `GET /openapi.json` and
//! printed by `api openapi`.

use anyhow::Context;
use utoipa::openapi::RefOr;
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::inbound::dto::{
    AcceptedResponse, ChangePasswordRequest, CreateTodoRequest, CreateTokenRequest,
    CreatedTokenResponse, ForgotPasswordRequest, HealthResponse, Jwk, JwksResponse,
    LivenessResponse, LoginRequest, NewUserRequest, NotReadyResponse, ReadinessResponse,
    RefreshRequest, ResetPasswordRequest, SessionResponse, TodoListResponse, TodoResponse,
    TokenInfoResponse, TokenResponse, UnhealthyResponse, UpdateTodoRequest, UpdateUserRequest,
    UserListResponse, UserResponse, VerifyEmailRequest,
};
use crate::inbound::error::{
    ApiError, ErrorEnvelope, INCORRECT_LOGIN, INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN,
    NOT_ENOUGH_PERMISSIONS, SESSION_NOT_FOUND, ValidationErrorEnvelope,
};
use crate::inbound::routes;

/// The name of the bearer-token security scheme.
pub const BEARER_AUTH: &str = "bearer_auth";
/// The name of the OAuth2 password-flow security scheme.
pub const OAUTH2_PASSWORD: &str = "oauth2_password";
/// Where the OAuth2 password flow gets its token.
pub const TOKEN_URL: &str = "/v1/auth/login";
/// Where a refresh token is exchanged.
const REFRESH_URL: &str = "/v1/auth/refresh";

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pure Async REST API",
        description = "Users register and log in with RS256 JWTs and manage their own todos; \
            admins manage users. Every error is one JSON envelope \
            (`{\"error\": {\"status_code\", \"message\", \"type\", \"details\"?}, \"request_id\"}`); \
            every response carries `X-Request-ID` and `X-Process-Time`."
    ),
    components(schemas(
        HealthResponse,
        UnhealthyResponse,
        LivenessResponse,
        ReadinessResponse,
        NotReadyResponse,
        NewUserRequest,
        LoginRequest,
        TokenResponse,
        RefreshRequest,
        ChangePasswordRequest,
        ForgotPasswordRequest,
        ResetPasswordRequest,
        AcceptedResponse,
        VerifyEmailRequest,
        SessionResponse,
        CreateTokenRequest,
        CreatedTokenResponse,
        TokenInfoResponse,
        JwksResponse,
        Jwk,
        UserResponse,
        UpdateUserRequest,
        UserListResponse,
        CreateTodoRequest,
        UpdateTodoRequest,
        TodoResponse,
        TodoListResponse,
        ErrorEnvelope,
        ValidationErrorEnvelope,
    )),
    modifiers(&Operations, &SecuritySchemes, &ErrorExamples),
    tags(
        (name = "health", description = "Liveness, readiness and the full health check"),
        (name = "auth", description = "Registration, login, token refresh, the current user, \
            sessions (logout, list, end), password change, and links by mail: password recovery (forgot, reset) and email verification"),
        (name = "tokens", description = "Personal access tokens (`pat_…`) for scripts and CI: \
            they reach the caller's todos within their scopes, and `GET /v1/auth/me`"),
        (name = "users", description = "Users: admins manage everyone, users themselves"),
        (name = "todos", description = "The caller's own todos"),
        (name = "keys", description = "The public keys that verify access tokens (JWKS)"),
    )
)]
pub struct ApiDoc;

/// Adds every operation of [`routes::endpoints`].
struct Operations;

impl Modify for Operations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for endpoint in routes::endpoints() {
            openapi.paths.add_path_operation(
                endpoint.path(),
                endpoint.http_methods().to_vec(),
                endpoint.operation(),
            );
        }
    }
}

/// Declares the schemes the operations' `security` requirements name.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER_AUTH,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An RS256 access token from `POST /v1/auth/login`, or a personal \
                         access token (`pat_…`) from `POST /v1/auth/tokens`, which reaches \
                         only the todo endpoints (within its scopes) and `GET /v1/auth/me`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            OAUTH2_PASSWORD,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(TOKEN_URL, Scopes::new()))],
                "Log in with a username (or email) and password; the token endpoint is \
                 `POST /v1/auth/login` with the OAuth2 password form.",
            )),
        );
    }
}

/// Gives every error response (other than 422, whose schema carries a
/// validation example) an example envelope of its own status, built by the
/// same `ApiError` that answers it at run time.
struct ErrorExamples;

impl Modify for ErrorExamples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                for (code, response) in &mut operation.responses.responses {
                    let Some(error) = code
                        .parse::<u16>()
                        .ok()
                        .and_then(|c| example_error(c, path))
                    else {
                        continue;
                    };
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    for content in response.content.values_mut() {
                        if let RefOr::T(content) = content {
                            content.example = Some(error.envelope(EXAMPLE_REQUEST_ID));
                        }
                    }
                }
            }
        }
    }
}

const EXAMPLE_REQUEST_ID: &str = "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e";

/// The error the API answers with `status` on `path`, for documentation.
fn example_error(status: u16, path: &str) -> Option<ApiError> {
    Some(match status {
        400 => ApiError::BadRequest("Could not read the request body".into()),
        401 if path == TOKEN_URL => ApiError::Unauthorized(INCORRECT_LOGIN),
        401 if path == REFRESH_URL => ApiError::Unauthorized(INVALID_REFRESH_TOKEN),
        401 => ApiError::Unauthorized(INVALID_CREDENTIALS),
        403 => ApiError::Forbidden(NOT_ENOUGH_PERMISSIONS),
        404 if path.starts_with("/v1/users") => ApiError::NotFound("User not found"),
        404 if path.starts_with("/v1/todos") => ApiError::NotFound("Todo not found"),
        404 if path.starts_with("/v1/auth/sessions") => ApiError::NotFound(SESSION_NOT_FOUND),
        404 => ApiError::NotFound("Not found"),
        409 => ApiError::Conflict("A user with this email already exists".into()),
        413 => ApiError::PayloadTooLarge(crate::inbound::extract::body::DEFAULT_BODY_LIMIT),
        408 => ApiError::RequestTimeout,
        415 => ApiError::UnsupportedMediaType("Content-Type must be application/json"),
        429 => ApiError::TooManyRequests { retry_after: 900 },
        503 => ApiError::Unavailable(anyhow::anyhow!("example")),
        _ => return None,
    })
}

/// The document as JSON, pretty-printed when `pretty`.
///
/// # Errors
/// If the document cannot be serialized (a programming error).
pub fn to_json(pretty: bool) -> anyhow::Result<String> {
    let document = ApiDoc::openapi();
    if pretty {
        document.to_pretty_json()
    } else {
        document.to_json()
    }
    .context("serializing the OpenAPI document")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(&to_json(false).unwrap()).unwrap()
    }

    #[test]
    fn every_endpoint_is_served_under_its_own_documentation() {
        for endpoint in routes::endpoints() {
            assert!(
                endpoint.documents_its_handler(),
                "{} is registered with another handler's documentation",
                endpoint.handler_name()
            );
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = BTreeSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().expect("an operationId");
                assert!(seen.insert(id.to_owned()), "operationId {id} twice");
            }
        }
    }

    #[test]
    fn every_reference_resolves() {
        fn walk(value: &Value, doc: &Value) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        let pointer = target.strip_prefix('#').expect("a local $ref");
                        assert!(doc.pointer(pointer).is_some(), "{target} is dangling");
                    }
                    map.values().for_each(|v| walk(v, doc));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, doc)),
                _ => {}
            }
        }
        let doc = document();
        walk(&doc, &doc);
    }

    #[test]
    fn error_examples_carry_their_own_status() {
        let doc = document();
        let mut checked = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                for (code, response) in operation["responses"].as_object().unwrap() {
                    let status: u64 = code.parse().unwrap();
                    if status < 400 || status == 422 {
                        continue;
                    }
                    let example = &response["content"]["application/json"]["example"];
                    assert_eq!(example["error"]["status_code"], status, "{code}: {example}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "only {checked} error responses checked");
    }

    #[test]
    fn every_operation_is_tagged_and_summarised() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                assert!(
                    operation["tags"].as_array().is_some_and(|t| t.len() == 1),
                    "{method} {path}"
                );
                assert!(
                    operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}"
                );
            }
        }
    }
}
