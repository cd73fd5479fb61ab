//! `/v1/auth`: the caller's sessions: logout (this one or all), the list of
//! live sessions, ending one, and changing the password (which ends every
//! other session).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{Password, SessionId};

use super::Endpoint;
use super::tags::AUTH as TAG;
use crate::inbound::dto::rules::parse;
use crate::inbound::dto::{ChangePasswordRequest, SessionResponse};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::{CurrentUser, JsonBody, PathId, parse_bool};
use crate::inbound::state::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_logout, logout),
        Endpoint::new(TAG, __path_list, list),
        Endpoint::new(TAG, __path_end, end),
        Endpoint::new(TAG, __path_change_password, change_password),
    ]
}

/// Log out
///
/// Ends the session of the bearer token: its access tokens are refused from
/// the next request on, on every instance, and its refresh token is dead.
/// With `all=true`, ends every session of the user.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    operation_id = "logout",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("all" = Option<bool>, Query,
        description = "`true` ends every session of the user, not just this one", example = false)),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 422, description = "`all` is not a boolean", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let all = all_flag(req.query_string())?;
    state.sessions.logout(&user.0, all).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `all` of the logout query: absent is `false`; unknown parameters are
/// ignored.
fn all_flag(query: &str) -> Result<bool, ApiError> {
    let params: HashMap<String, String> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::validation("query", e.to_string(), "value_error"))?;
    match params.get("all") {
        None => Ok(false),
        Some(raw) => parse_bool(raw)
            .ok_or_else(|| ApiError::validation("all", "must be a boolean", "bool_parsing")),
    }
}

/// List my sessions
///
/// The caller's live sessions, newest first; `current` marks the one of the
/// token making the request.
#[utoipa::path(
    get,
    path = "/v1/auth/sessions",
    operation_id = "list_sessions",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    responses(
        (status = 200, description = "The live sessions", body = Vec<SessionResponse>),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let current = user.credential().session();
    let sessions: Vec<SessionResponse> = state
        .sessions
        .list(&user.0)
        .await?
        .into_iter()
        .map(|session| SessionResponse::new(session, current))
        .collect();
    Ok(HttpResponse::Ok().json(sessions))
}

/// End one of my sessions
///
/// Its access and refresh tokens stop working at once. Only the caller's
/// own sessions: any other id, someone else's included, is 404.
#[utoipa::path(
    delete,
    path = "/v1/auth/sessions/{id}",
    operation_id = "end_session",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The session's id", minimum = 1, example = 12)),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "No live session of the caller's has this id", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn end(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    state.sessions.end(&user.0, SessionId(id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change my password
///
/// Checks the current password, sets the new one (the registration rules
/// apply), and ends every other session of the caller; this one goes on. A
/// wrong current password counts as a failed login of the account.
#[utoipa::path(
    post,
    path = "/v1/auth/password",
    operation_id = "change_password",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    request_body(
        content = ChangePasswordRequest,
        content_type = "application/json",
        example = json!({"current_password": "analytical-engine", "new_password": "difference-engine-2"})
    ),
    responses(
        (status = 204, description = "Changed; the other sessions are ended"),
        (status = 401, description = "No valid bearer token, or the current password is wrong",
            body = ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON, or the new password breaks a rule",
            body = ValidationErrorEnvelope),
        (status = 429, description = "Too many wrong passwords for this account (failed logins count too)",
            body = ErrorEnvelope, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let current = Password::candidate(body.current_password);
    let new = parse("new_password", Password::parse(body.new_password))?;
    state
        .sessions
        .change_password(&user.0, &current, &new)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_defaults_to_false_and_must_be_a_boolean() {
        assert!(!all_flag("").unwrap());
        assert!(!all_flag("other=1").unwrap());
        assert!(all_flag("all=true").unwrap());
        assert!(all_flag("all=1").unwrap());
        assert!(!all_flag("all=false").unwrap());
        assert!(matches!(
            all_flag("all=maybe"),
            Err(ApiError::Validation(_))
        ));
    }
}
