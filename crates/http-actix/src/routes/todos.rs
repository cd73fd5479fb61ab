//! `/v1/todos`: the caller's own todos.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{TodoFilter, TodoId};

use crate::dto::{CreateTodoRequest, TodoListResponse, TodoResponse, UpdateTodoRequest};
use crate::error::ApiError;
use crate::extract::{CurrentUser, JsonBody, ListQuery, PathId};
use crate::state::AppState;

pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<CreateTodoRequest>,
) -> Result<HttpResponse, ApiError> {
    let (title, description, priority) = body.into_parts()?;
    let todo = state
        .todos
        .create(user.actor(), title, description, priority)
        .await?;
    Ok(HttpResponse::Created().json(TodoResponse::from(todo)))
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::from_request(&req)?;
    let filter = TodoFilter {
        completed: query.completed,
    };
    let page = state.todos.list(user.actor(), filter, query.page).await?;
    Ok(HttpResponse::Ok().json(TodoListResponse {
        todos: page.items.into_iter().map(TodoResponse::from).collect(),
        total: page.total,
        page: page.request.page(),
        page_size: page.request.page_size(),
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let todo = state.todos.get(user.actor(), TodoId(id.0)).await?;
    Ok(HttpResponse::Ok().json(TodoResponse::from(todo)))
}

pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
    JsonBody(body): JsonBody<UpdateTodoRequest>,
) -> Result<HttpResponse, ApiError> {
    let todo = state
        .todos
        .update(user.actor(), TodoId(id.0), body.into_patch()?)
        .await?;
    Ok(HttpResponse::Ok().json(TodoResponse::from(todo)))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    state.todos.delete(user.actor(), TodoId(id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
