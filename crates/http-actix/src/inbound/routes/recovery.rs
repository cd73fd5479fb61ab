//! Account recovery and verification by one-time links sent by mail:
//! `/v1/auth/password/forgot` and `/reset`, `/v1/auth/verify-email/send`
//! and `/v1/auth/verify-email`, and an administrator's
//! `/v1/users/{id}/password-reset`.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use domain::{AccountToken, Email, Password, UserId};

use super::Endpoint;
use super::tags::{AUTH as TAG, USERS};
use crate::inbound::dto::rules::parse;
use crate::inbound::dto::{
    AcceptedResponse, ForgotPasswordRequest, ResetPasswordRequest, UserResponse, VerifyEmailRequest,
};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::{Client, CurrentUser, JsonBody, PathId};
use crate::inbound::state::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_forgot_password, forgot_password),
        Endpoint::new(TAG, __path_reset_password, reset_password),
        Endpoint::new(TAG, __path_send_verification, send_verification),
        Endpoint::new(TAG, __path_verify_email, verify_email),
        Endpoint::new(USERS, __path_admin_password_reset, admin_password_reset),
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

/// Send a verification link
///
/// Mails the caller a fresh link that proves their address (earlier links
/// die); an address already verified gets none, with the same answer. The
/// same limits as forgot-password requests apply.
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email/send",
    operation_id = "send_verification",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    responses(
        (status = 202, description = "Taken: a link is on its way unless the address is verified already",
            body = AcceptedResponse, example = json!({"status": "accepted"})),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 429, description = "Too many requests for this address or from this client address",
            body = ErrorEnvelope, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn send_verification(
    state: web::Data<AppState>,
    user: CurrentUser,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    state
        .recovery
        .resend_verification(&user.0.user, &client.0)
        .await?;
    Ok(HttpResponse::Accepted().json(AcceptedResponse::ACCEPTED))
}

/// Verify the email address
///
/// Proves the address a verification link was mailed to, with the link's
/// token: the user becomes `email_verified`. The token works once, for
/// `EMAIL_VERIFY_TOKEN_HOURS`, and only while the address is still the
/// user's. No bearer token is needed: the link is opened from the mail.
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email",
    operation_id = "verify_email",
    request_body(
        content = VerifyEmailRequest,
        content_type = "application/json",
        example = json!({"token": "Zk2Qw8Lr5TnV1bXc7YhJ0sDf4GpA9mEu3KiO6aWzR2t"})
    ),
    responses(
        (status = 200, description = "The user, verified", body = UserResponse),
        (status = 400, description = "Unknown, used, expired or superseded token, or the address changed since",
            body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or no `token`", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn verify_email(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state
        .recovery
        .verify_email(&AccountToken::new(body.token))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Send a user a password-reset link
///
/// Admins only: mails the user a password-reset link, as if they had asked
/// for one (an inactive user gets none, with the same answer). Their
/// password and sessions stay until the link is used. Logged with the
/// administrator's and the user's ids.
#[utoipa::path(
    post,
    path = "/v1/users/{id}/password-reset",
    operation_id = "admin_password_reset",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The user's id", minimum = 1, example = 2)),
    responses(
        (status = 202, description = "Taken: a link is on its way to an active user",
            body = AcceptedResponse, example = json!({"status": "accepted"})),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The caller is not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer in canonical decimal form", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn admin_password_reset(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let actor = user.actor();
    state
        .recovery
        .admin_password_reset(actor, UserId(id.0))
        .await?;
    tracing::info!(
        admin_id = actor.id.0,
        user_id = id.0,
        "an administrator sent a password-reset link"
    );
    Ok(HttpResponse::Accepted().json(AcceptedResponse::ACCEPTED))
}
