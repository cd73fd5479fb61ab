//! `/v1/auth`: register, login, refresh, me.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::services::TokenPair;
use domain::{Password, RefreshToken};

use super::Endpoint;
use crate::inbound::dto::{
    LoginRequest, NewUserRequest, RefreshRequest, TokenResponse, UserResponse,
};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::body::{body_limit, is_form, is_json, payload_error};
use crate::inbound::extract::{Client, CurrentUser, JsonBody, parse_json, parse_login_form};
use crate::inbound::state::AppState;

use super::tags::AUTH as TAG;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_register, register),
        Endpoint::new(TAG, __path_login, login),
        Endpoint::new(TAG, __path_refresh, refresh),
        Endpoint::new(TAG, __path_me, me),
    ]
}

/// A token pair, never to be cached by the client or anything between.
fn token_response(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse::from(pair))
}

/// Register
///
/// Creates an active, non-admin user. Email and username are unique
/// case-insensitively. `is_admin` is ignored here. Each client address may
/// register `REGISTER_MAX_PER_IP` users per `REGISTER_WINDOW_SECONDS`.
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
        (status = 429, description = "Too many registrations from this client address",
            body = ErrorEnvelope, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    client: Client,
    JsonBody(body): JsonBody<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state
        .auth
        .register(body.into_registration()?, &client.0)
        .await?;
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

/// Log in
///
/// Exchanges a username (or email) and password for a bearer token and a
/// refresh token, opening a session. Accepts JSON or the OAuth2 password
/// grant's form (`grant_type=password`; other form fields are ignored), so
/// Swagger UI's *Authorize* works with it.
///
/// After `LOGIN_MAX_FAILURES_PER_ACCOUNT` failures for one account, or
/// `LOGIN_MAX_FAILURES_PER_IP` from one client address, within
/// `LOGIN_FAILURE_WINDOW_SECONDS`, further attempts answer 429 (even with
/// the right password) until the window passes. A success clears the
/// account's count.
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
        (status = 200, description = "A token pair (sent with `Cache-Control: no-store`)",
            body = TokenResponse,
            example = json!({
                "access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                "token_type": "bearer",
                "expires_in": 86400,
                "refresh_token": "mF3kq0sV9x2p7JcQe1uYtLw8ZbN4aR6dHg5iKo0PjSs",
                "refresh_expires_in": 2_592_000
            })),
        (status = 401, description = "Wrong username or password (the same answer for both), or an inactive user",
            body = ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is neither JSON nor a form", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or malformed", body = ValidationErrorEnvelope),
        (status = 429, description = "Too many failed logins for this account or from this client address",
            body = ErrorEnvelope, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Client,
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
    let pair = state
        .auth
        .login(&credentials.username, &password, &client.0)
        .await?;
    Ok(token_response(pair))
}

/// Refresh the tokens
///
/// Spends the refresh token and answers a new pair for the same session.
/// Presenting a spent token again within `REFRESH_REUSE_GRACE_SECONDS`
/// answers the same pair (a retried request); after that it is taken for a
/// stolen token: the whole session is ended and the answer is 401.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    operation_id = "refresh",
    request_body(
        content = RefreshRequest,
        content_type = "application/json",
        example = json!({"refresh_token": "mF3kq0sV9x2p7JcQe1uYtLw8ZbN4aR6dHg5iKo0PjSs"})
    ),
    responses(
        (status = 200, description = "A new token pair (sent with `Cache-Control: no-store`)",
            body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token, or an inactive user",
            body = ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or no `refresh_token`", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = state
        .auth
        .refresh(&RefreshToken::new(body.refresh_token))
        .await?;
    Ok(token_response(pair))
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
    HttpResponse::Ok().json(UserResponse::from(user.0.user))
}
