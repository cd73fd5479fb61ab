//! `/v1/todos`: the caller's own todos.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{TodoFilter, TodoId};

use super::Endpoint;
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
/// Only the caller's, newest first.
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
    ),
    responses(
        (status = 200, description = "One page of the caller's todos", body = TodoListResponse),
        (status = 401, description = "No valid bearer token", body = ErrorEnvelope,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 422, description = "A query parameter is out of range or malformed", body = ValidationErrorEnvelope,
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
    let page = state.todos.list(caller.0, filter, query.page).await?;
    Ok(HttpResponse::Ok().json(TodoListResponse {
        todos: page.items.into_iter().map(TodoResponse::from).collect(),
        total: page.total,
        page: page.request.page(),
        page_size: page.request.page_size(),
    }))
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
        (status = 403, description = "Another user's todo", body = ErrorEnvelope),
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
        (status = 403, description = "Another user's todo", body = ErrorEnvelope),
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
        (status = 403, description = "Another user's todo", body = ErrorEnvelope),
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
