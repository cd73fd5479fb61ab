//! `/v1/auth`: register, login, me.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::Password;

use crate::dto::{LoginRequest, NewUserRequest, TokenResponse, UserResponse};
use crate::error::ApiError;
use crate::extract::body::{body_limit, is_form, is_json, payload_error};
use crate::extract::{CurrentUser, JsonBody, parse_json, parse_login_form};
use crate::state::AppState;

/// `POST /v1/auth/register` → 201 with the new user.
pub async fn register(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state.auth.register(body.into_registration()?).await?;
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

/// `POST /v1/auth/login`, JSON or OAuth2 password form → 200 with a token.
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

/// `GET /v1/auth/me` → the token's user.
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::from(user.0))
}
