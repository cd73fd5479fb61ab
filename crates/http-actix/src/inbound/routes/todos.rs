//! `/v1/todos`: the caller's own todos.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{Listed, TodoFilter, TodoId};

use super::Endpoint;
use super::paging::list_response;
use crate::inbound::dto::{CreateTodoRequest, TodoListResponse, TodoResponse, UpdateTodoRequest};
use crate::inbound::error::{ApiError, ErrorEnvelope, ValidationErrorEnvelope};
use crate::inbound::extract::{Caller, JsonBody, ListQuery, PathId};
use crate::inbound::state::AppState;

use super::tags::TODOS as TAG;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_list, list),
        Endpoint::new(TAG, __path_create, create),
        Endpoint::new(TAG, __path_get, get),
        Endpoint::new(TAG, __path_update, update),
        Endpoint::new(TAG, __path_delete, delete),
    ]
}

/// Create a todo
///
/// The caller owns it. `priority` defaults to `medium`.
#[utoipa::path(
    post,
    path = "/v1/todos",
    operation_id = "create_todo",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    request_body(
        content = CreateTodoRequest,
        content_type = "application/json",
        example = json!({
            "title": "Write the first program",
            "description": "Bernoulli numbers on the Analytical Engine",
            "priority": "high"
        })
    ),
    responses(
        (status = 201, description = "The new todo", body = TodoResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "A personal access token without the scope (`todos:write` to write, `todos:read` to read)", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON or a field breaks a rule", body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Result<JsonBody<CreateTodoRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let input = body.and_then(|JsonBody(body)| body.into_parts());
    let (title, description, priority) = caller.checked(&state, input).await?;
    let todo = state
        .todos
        .create(caller.0, title, description, priority)
        .await?;
    Ok(HttpResponse::Created().json(TodoResponse::from(todo)))
}

/// List my todos
///
/// Only the caller's, newest first (by `created_at`, then `id`).
///
/// Two ways to page, both with the exact `total`:
/// - by number, `page` and `page_size`: page `n` skips `(n - 1) × page_size`
///   todos, which the database still reads, so deep pages slow down with
///   their depth;
/// - by cursor: every page but the last answers `next_cursor` (and a
///   `Link: <…>; rel="next"` header); `?cursor=<it>`, with the same
///   `completed` filter, reads the next page right after the previous one,
///   as fast at any depth. `page_size` may be left out (the cursor's) but not
///   changed; `page` may not be sent with it. A cursor is tamper-evident and
///   bound to its caller and filter: a modified one, someone else's, or one
///   sent with another filter is refused with 422 (`field: "cursor"`).
#[utoipa::path(
    get,
    path = "/v1/todos",
    operation_id = "list_todos",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)", minimum = 1, example = 1),
        ("page_size" = Option<u64>, Query, description = "Todos per page, 1 to 100 (default 10)",
            minimum = 1, maximum = 100, example = 10),
        ("completed" = Option<bool>, Query,
            description = "Only completed (`true`) or open (`false`) todos; all when absent"),
        ("cursor" = Option<String>, Query,
            description = "A `next_cursor` from a previous page of this list: the page after it. Not with `page`; with the same `completed`, and `page_size` the same or absent"),
    ),
    responses(
        (status = 200, description = "One page of the caller's todos", body = TodoListResponse,
            headers(("Link" = String, description = "`</v1/todos?cursor=…&page_size=…>; rel=\"next\"` when there is a next page (RFC 8288)"))),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "A personal access token without the scope (`todos:write` to write, `todos:read` to read)", body = ErrorEnvelope),
        (status = 422, description = "A query parameter is out of range or malformed, or the cursor is refused", body = ValidationErrorEnvelope,
            example = json!({"error": {"status_code": 422, "message": "Validation error", "type": "client_error",
                "details": {"validation_errors": [{"field": "page_size", "message": "must be between 1 and 100", "type": "value_error"}]}},
                "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"})),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = caller
        .checked(&state, ListQuery::from_request(&req))
        .await?;
    let filter = TodoFilter {
        completed: query.completed,
    };
    let Listed { page, next_cursor } = state.todos.list(caller.0, filter, query.request).await?;
    let filters: &[(&str, &str)] = match filter.completed {
        None => &[],
        Some(true) => &[("completed", "true")],
        Some(false) => &[("completed", "false")],
    };
    let page_size = page.request.page_size();
    let body = TodoListResponse {
        todos: page.items.into_iter().map(TodoResponse::from).collect(),
        total: page.total,
        page: page.request.page(),
        page_size,
        next_cursor,
    };
    Ok(list_response(
        &body,
        "/v1/todos",
        body.next_cursor.as_deref(),
        page_size,
        filters,
    ))
}

/// Get a todo
#[utoipa::path(
    get,
    path = "/v1/todos/{id}",
    operation_id = "get_todo",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The todo's id", minimum = 1, example = 42)),
    responses(
        (status = 200, description = "The todo", body = TodoResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Another user's todo, or a personal access token without the scope", body = ErrorEnvelope),
        (status = 404, description = "No such todo", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer in canonical decimal form", body = ValidationErrorEnvelope,
            example = json!({"error": {"status_code": 422, "message": "Validation error", "type": "client_error",
                "details": {"validation_errors": [{"field": "id", "message": "must be an integer in canonical decimal form (no sign, no leading zeros)", "type": "int_parsing"}]}},
                "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"})),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: Result<PathId, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let id = caller.checked(&state, id).await?;
    let todo = state.todos.get(caller.0, TodoId(id.0)).await?;
    Ok(HttpResponse::Ok().json(TodoResponse::from(todo)))
}

/// Update a todo
///
/// Absent fields are left unchanged; `description: null` clears the
/// description. `id` and `user_id` in the body are ignored.
#[utoipa::path(
    patch,
    path = "/v1/todos/{id}",
    operation_id = "update_todo",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The todo's id", minimum = 1, example = 42)),
    request_body(
        content = UpdateTodoRequest,
        content_type = "application/json",
        example = json!({"is_completed": true, "description": null})
    ),
    responses(
        (status = 200, description = "The updated todo", body = TodoResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Another user's todo, or a personal access token without the scope", body = ErrorEnvelope),
        (status = 404, description = "No such todo", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`", body = ErrorEnvelope),
        (status = 415, description = "The body is not `application/json`", body = ErrorEnvelope),
        (status = 422, description = "Malformed JSON, a field breaks a rule, or the id is not an integer",
            body = ValidationErrorEnvelope),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: Result<PathId, ApiError>,
    body: Result<JsonBody<UpdateTodoRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    // The id's complaint before the body's, as the extractors used to run.
    let input = id.and_then(|id| Ok((id, body?.0.into_patch()?)));
    let (id, patch) = caller.checked(&state, input).await?;
    let todo = state.todos.update(caller.0, TodoId(id.0), patch).await?;
    Ok(HttpResponse::Ok().json(TodoResponse::from(todo)))
}

/// Delete a todo
#[utoipa::path(
    delete,
    path = "/v1/todos/{id}",
    operation_id = "delete_todo",
    security(("bearer_auth" = []), ("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The todo's id", minimum = 1, example = 42)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Another user's todo, or a personal access token without the scope", body = ErrorEnvelope),
        (status = 404, description = "No such todo", body = ErrorEnvelope),
        (status = 422, description = "The id is not an integer in canonical decimal form", body = ValidationErrorEnvelope,
            example = json!({"error": {"status_code": 422, "message": "Validation error", "type": "client_error",
                "details": {"validation_errors": [{"field": "id", "message": "must be an integer in canonical decimal form (no sign, no leading zeros)", "type": "int_parsing"}]}},
                "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"})),
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: Result<PathId, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let id = caller.checked(&state, id).await?;
    state.todos.delete(caller.0, TodoId(id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
