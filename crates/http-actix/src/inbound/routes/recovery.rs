//! `/v1/auth/password/forgot` and `/v1/auth/password/reset`: account
//! recovery by a one-time link sent by mail.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use domain::{AccountToken, Email, Password};

use super::Endpoint;
use super::tags::AUTH as TAG;
use crate::inbound::dto::rules::parse;
use crate::inbound::dto::{AcceptedResponse, ForgotPasswordRequest, ResetPasswordRequest};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::{Client, JsonBody};
use crate::inbound::state::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_forgot_password, forgot_password),
        Endpoint::new(TAG, __path_reset_password, reset_password),
    ]
}

/// The least time a forgot-password request takes to answer 202. Looking an
/// address up and, for an active user's, storing a token with its mail
/// takes a few milliseconds that an unknown address does not; every answer
/// waits out this floor, so the time tells nothing about the address.
pub const FORGOT_PASSWORD_FLOOR: Duration = Duration::from_millis(200);

/// Forgot password
///
/// Mails a password-reset link to the address if it belongs to an active
/// user. The answer is the same 202 for every well-formed address, known
/// or not, and takes the same time (at least 200 ms). The link works once,
/// for `PASSWORD_RESET_TOKEN_MINUTES`, and only the newest one does.
/// `RECOVERY_MAX_PER_ADDRESS` requests per address and `RECOVERY_MAX_PER_IP`
/// per client address within `RECOVERY_WINDOW_SECONDS`, counted alike for
/// unknown addresses; then 429.
#[utoipa::path(
    post,
    path = "/v1/auth/password/forgot",
    operation_id = "forgot_password",
    request_body(
        content = ForgotPasswordRequest,
        content_type = "application/json",
        example = json!({"email": "ada@example.com"})
    ),
    responses(
        (status = 202, description = "Taken: a link is on its way if the address is an active user's",
            body = AcceptedResponse, example = json!({"status": "accepted"})),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or not an email address", body = ValidationErrorEnvelope),
        (status = 429, description = "Too many requests for this address or from this client address",
            body = ErrorEnvelope, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn forgot_password(
    state: web::Data<AppState>,
    client: Client,
    JsonBody(body): JsonBody<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let started = tokio::time::Instant::now();
    let email = parse("email", Email::parse(body.email))?;
    state.recovery.forgot_password(&email, &client.0).await?;
    tokio::time::sleep_until(started + FORGOT_PASSWORD_FLOOR).await;
    Ok(HttpResponse::Accepted().json(AcceptedResponse::ACCEPTED))
}

/// Reset the password
///
/// Sets a new password with the token of a reset link. The token is used
/// up; every session of the user ends (log in again), the other reset
/// links die, the account's failed-login count is cleared, and a "your
/// password was changed" notice is mailed.
#[utoipa::path(
    post,
    path = "/v1/auth/password/reset",
    operation_id = "reset_password",
    request_body(
        content = ResetPasswordRequest,
        content_type = "application/json",
        example = json!({"token": "q3V7rX0bN9mKc2LwT8sYhA5eGdJ4uPfZ1iO6nRtE0kQ", "new_password": "difference-engine-2"})
    ),
    responses(
        (status = 204, description = "The password is changed"),
        (status = 400, description = "Unknown, used, expired or superseded token", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON, or the new password breaks the registration rules",
            body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn reset_password(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let password = parse("new_password", Password::parse(body.new_password))?;
    state
        .recovery
        .reset_password(&AccountToken::new(body.token), &password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
