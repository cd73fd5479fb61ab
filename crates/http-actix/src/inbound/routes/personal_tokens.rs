//! `/v1/auth/tokens`: the caller's personal access tokens, for scripts and
//! CI. Managed only with an access token (a signed-in session): a personal
//! access token cannot make, list or revoke tokens.

use actix_web::{HttpResponse, web};
use domain::PersonalTokenId;

use super::Endpoint;
use super::tags::TOKENS as TAG;
use crate::inbound::dto::{CreateTokenRequest, CreatedTokenResponse, TokenInfoResponse};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::{CurrentUser, JsonBody, PathId};
use crate::inbound::state::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_create, create),
        Endpoint::new(TAG, __path_list, list),
        Endpoint::new(TAG, __path_revoke, revoke),
    ]
}

/// Create a personal access token
///
/// Answers the token (`pat_…`) this once; the server keeps only its hash.
/// Send it as `Authorization: Bearer pat_…`. It reaches the caller's todos
/// within its scopes (`todos:read` for `GET`, `todos:write` for the rest)
/// and `GET /v1/auth/me`; any other endpoint answers it 403. It lives until
/// revoked, or `expires_in_days`; a password change or reset revokes it
/// (unless `REVOKE_PATS_ON_PASSWORD_CHANGE=false`), and it stops working
/// while its user is deactivated.
#[utoipa::path(
    post,
    path = "/v1/auth/tokens",
    operation_id = "create_personal_token",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    request_body(
        content = CreateTokenRequest,
        content_type = "application/json",
        example = json!({"name": "CI deploy", "scopes": ["todos:read"], "expires_in_days": 90})
    ),
    responses(
        (status = 201, description = "The new token, with its secret (shown only here)", body = CreatedTokenResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The request bore a personal access token", body = ErrorEnvelope),
        (status = 409, description = "The caller already holds `PAT_MAX_PER_USER` tokens", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or a field breaks a rule", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<CreateTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_request()?;
    let made = state.personal_tokens.create(&user.0, request).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedTokenResponse::from(made)))
}

/// List my personal access tokens
///
/// Every token not revoked, expired ones included, newest first; never the
/// secrets.
#[utoipa::path(
    get,
    path = "/v1/auth/tokens",
    operation_id = "list_personal_tokens",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    responses(
        (status = 200, description = "The tokens", body = Vec<TokenInfoResponse>),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The request bore a personal access token", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let tokens: Vec<TokenInfoResponse> = state
        .personal_tokens
        .list(&user.0)
        .await?
        .into_iter()
        .map(TokenInfoResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(tokens))
}

/// Revoke one of my personal access tokens
///
/// It is refused from the next request on, on every instance. Only the
/// caller's own tokens: any other id, someone else's included, is 404.
#[utoipa::path(
    delete,
    path = "/v1/auth/tokens/{id}",
    operation_id = "revoke_personal_token",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The token's id", minimum = 1, example = 3)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The request bore a personal access token", body = ErrorEnvelope),
        (status = 404, description = "No unrevoked token of the caller's has this id", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    state
        .personal_tokens
        .revoke(&user.0, PersonalTokenId(id.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
