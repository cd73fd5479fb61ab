//! `/v1/users`: admin-only create and list; self-or-admin read, update, delete.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::UserId;

use crate::dto::{NewUserRequest, UpdateUserRequest, UserListResponse, UserResponse};
use crate::error::ApiError;
use crate::extract::{CurrentUser, JsonBody, ListQuery, PathId};
use crate::state::AppState;

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

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::from_request(&req)?;
    let page = state.users.list(user.actor(), query.page).await?;
    Ok(HttpResponse::Ok().json(UserListResponse {
        users: page.items.into_iter().map(UserResponse::from).collect(),
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
    let found = state.users.get(user.actor(), UserId(id.0)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(found)))
}

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

pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    state.users.delete(user.actor(), UserId(id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
