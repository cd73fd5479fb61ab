//! `/v1/auth`: register, login, me.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::Password;

use super::Endpoint;
use crate::dto::{LoginRequest, NewUserRequest, TokenResponse, UserResponse};
use crate::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::extract::body::{body_limit, is_form, is_json, payload_error};
use crate::extract::{CurrentUser, JsonBody, parse_json, parse_login_form};
use crate::state::AppState;

const TAG: &str = "auth";

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_register, register),
        Endpoint::new(TAG, __path_login, login),
        Endpoint::new(TAG, __path_me, me),
    ]
}

/// Register
///
/// Creates an active, non-admin user. Email and username are unique
/// case-insensitively. `is_admin` is ignored here.
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    operation_id = "register",
    request_body(
        content = NewUserRequest,
        content_type = "application/json",
        example = json!({
            "email": "ada@example.com",
            "username": "ada",
            "full_name": "Ada Lovelace",
            "password": "analytical-engine"
        })
    ),
    responses(
        (status = 201, description = "The new user", body = UserResponse),
        (status = 409, description = "The email or the username is taken", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or a field breaks a rule", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state.auth.register(body.into_registration()?).await?;
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

/// Log in
///
/// Exchanges a username (or email) and password for a bearer token. Accepts
/// JSON or the OAuth2 password grant's form (`grant_type=password`; other
/// form fields are ignored), so Swagger UI's *Authorize* works with it.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    operation_id = "login",
    request_body(
        description = "The credentials, as JSON or as an OAuth2 password form",
        content(
            (LoginRequest = "application/json",
                example = json!({"username": "ada", "password": "analytical-engine"})),
            (LoginRequest = "application/x-www-form-urlencoded",
                example = json!({"grant_type": "password", "username": "ada", "password": "analytical-engine"})),
        )
    ),
    responses(
        (status = 200, description = "A bearer token (sent with `Cache-Control: no-store`)",
            body = TokenResponse,
            example = json!({"access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "token_type": "bearer", "expires_in": 86400})),
        (status = 401, description = "Wrong username or password (the same answer for both), or an inactive user",
            body = ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is neither JSON nor a form", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or malformed", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map_err(|e| payload_error(&e, body_limit(&req)))?;
    let credentials: LoginRequest = if is_json(&req) {
        parse_json(&body)?
    } else if is_form(&req) {
        parse_login_form(&body)?
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "Content-Type must be application/json or application/x-www-form-urlencoded",
        ));
    };
    let password = Password::candidate(credentials.password);
    let issued = state.auth.login(&credentials.username, &password).await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: issued.access_token.expose().to_owned(),
            token_type: "bearer",
            expires_in: issued.expires_in,
        }))
}

/// The current user
///
/// The user the bearer token names.
#[utoipa::path(
    get,
    path = "/v1/auth/me",
    operation_id = "me",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    responses(
        (status = 200, description = "The token's user", body = UserResponse),
        (status = 401, description = "No token, an invalid or expired one, or its user is gone or inactive",
            body = ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::from(user.0))
}
