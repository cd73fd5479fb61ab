//! `/v1/users`: admin-only create and list; self-or-admin read, update, delete.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{Listed, UserId};

use super::Endpoint;
use super::paging::list_response;
use crate::inbound::dto::{NewUserRequest, UpdateUserRequest, UserListResponse, UserResponse};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::{CurrentUser, JsonBody, PageQuery, PathId};
use crate::inbound::state::AppState;

use super::tags::USERS as TAG;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_list, list),
        Endpoint::new(TAG, __path_create, create),
        Endpoint::new(TAG, __path_get, get),
        Endpoint::new(TAG, __path_update, update),
        Endpoint::new(TAG, __path_delete, delete),
    ]
}

/// Create a user (admin)
///
/// As register, and an admin may make the new user an admin.
#[utoipa::path(
    post,
    path = "/v1/users",
    operation_id = "create_user",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    request_body(
        content = NewUserRequest,
        content_type = "application/json",
        example = json!({
            "email": "charles@example.com",
            "username": "charles",
            "full_name": "Charles Babbage",
            "password": "difference-engine",
            "is_admin": false
        })
    ),
    responses(
        (status = 201, description = "The new user", body = UserResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The caller is not an admin", body = ErrorEnvelope),
        (status = 409, description = "The email or the username is taken", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or a field breaks a rule", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let is_admin = body.is_admin.unwrap_or(false);
    let created = state
        .users
        .create(user.actor(), body.into_registration()?, is_admin)
        .await?;
    Ok(HttpResponse::Created().json(UserResponse::from(created)))
}

/// List users (admin)
///
/// By id. Paged by number (`page`, `page_size`: deep pages slow down with
/// their depth) or by cursor: every page but the last answers
/// `next_cursor` (and a `Link: <…>; rel="next"` header), and `?cursor=<it>`
/// reads the next page right after the previous one, as fast at any depth.
/// A cursor is tamper-evident and bound to the admin it was issued to; a
/// modified or foreign one is refused with 422 (`field: "cursor"`).
#[utoipa::path(
    get,
    path = "/v1/users",
    operation_id = "list_users",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)", minimum = 1, example = 1),
        ("page_size" = Option<u64>, Query, description = "Users per page, 1 to 100 (default 10)",
            minimum = 1, maximum = 100, example = 10),
        ("cursor" = Option<String>, Query,
            description = "A `next_cursor` from a previous page of this list: the page after it. Not with `page`; `page_size` the same or absent"),
    ),
    responses(
        (status = 200, description = "One page of users", body = UserListResponse,
            headers(("Link" = String, description = "`</v1/users?cursor=…&page_size=…>; rel=\"next\"` when there is a next page (RFC 8288)"))),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The caller is not an admin", body = ErrorEnvelope),
        (status = 422, description = "`page` or `page_size` out of range or not a number, or the cursor is refused", body = ValidationErrorEnvelope,
            example = json!({"error": {"status_code": 422, "message": "Validation error", "type": "client_error",
                "details": {"validation_errors": [{"field": "page_size", "message": "must be between 1 and 100", "type": "value_error"}]}},
                "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"})),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let PageQuery(request) = PageQuery::from_request(&req)?;
    let Listed { page, next_cursor } = state.users.list(user.actor(), request).await?;
    let page_size = page.request.page_size();
    let body = UserListResponse {
        users: page.items.into_iter().map(UserResponse::from).collect(),
        total: page.total,
        page: page.request.page(),
        page_size,
        next_cursor,
    };
    Ok(list_response(
        &body,
        "/v1/users",
        body.next_cursor.as_deref(),
        page_size,
        &[],
    ))
}

/// Get a user
///
/// Oneself, or anyone for an admin. A non-admin asking for anyone else gets
/// 403, whether or not that user exists.
#[utoipa::path(
    get,
    path = "/v1/users/{id}",
    operation_id = "get_user",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The user's id", minimum = 1, example = 1)),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Neither the caller nor an admin", body = ErrorEnvelope),
        (status = 404, description = "No such user (admins only; ids that name no row too)", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer in canonical decimal form", body = ValidationErrorEnvelope,
            example = json!({"error": {"status_code": 422, "message": "Validation error", "type": "client_error",
                "details": {"validation_errors": [{"field": "id", "message": "must be an integer in canonical decimal form (no sign, no leading zeros)", "type": "int_parsing"}]}},
                "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"})),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let found = state.users.get(user.actor(), UserId(id.0)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(found)))
}

/// Update a user
///
/// Oneself, or anyone for an admin. `is_active` and `is_admin` only by an
/// admin. A `null` leaves the field unchanged.
#[utoipa::path(
    patch,
    path = "/v1/users/{id}",
    operation_id = "update_user",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The user's id", minimum = 1, example = 1)),
    request_body(
        content = UpdateUserRequest,
        content_type = "application/json",
        example = json!({"full_name": "Augusta Ada King"})
    ),
    responses(
        (status = 200, description = "The updated user", body = UserResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Neither the caller nor an admin, or a non-admin setting `is_active`/`is_admin`",
            body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 409, description = "The new email or username is taken", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON, a field breaks a rule, or the id is not an integer",
            body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
    JsonBody(body): JsonBody<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let updated = state
        .users
        .update(user.actor(), UserId(id.0), body.into_patch()?)
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(updated)))
}

/// Delete a user
///
/// Oneself, or anyone for an admin. The user's todos go too.
#[utoipa::path(
    delete,
    path = "/v1/users/{id}",
    operation_id = "delete_user",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The user's id", minimum = 1, example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Neither the caller nor an admin", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer in canonical decimal form", body = ValidationErrorEnvelope,
            example = json!({"error": {"status_code": 422, "message": "Validation error", "type": "client_error",
                "details": {"validation_errors": [{"field": "id", "message": "must be an integer in canonical decimal form (no sign, no leading zeros)", "type": "int_parsing"}]}},
                "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"})),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    state.users.delete(user.actor(), UserId(id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
