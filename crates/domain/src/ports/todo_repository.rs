//! Persistence of todos.

use async_trait::async_trait;

use crate::error::RepositoryError;
use crate::pagination::{Page, PageRequest};
use crate::todo::{NewTodo, Todo, TodoChanges, TodoFilter, TodoId};
use crate::user::UserId;

/// Stores todos.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait TodoRepository: Send + Sync {
    async fn create(&self, todo: NewTodo) -> Result<Todo, RepositoryError>;

    async fn find_by_id(&self, id: TodoId) -> Result<Option<Todo>, RepositoryError>;

    /// The owner's todos, newest first (`created_at` then `id`, descending).
    async fn list_for_user(
        &self,
        owner: UserId,
        filter: TodoFilter,
        page: PageRequest,
    ) -> Result<Page<Todo>, RepositoryError>;

    /// Applies the changes; `Ok(None)` when no such todo exists.
    async fn update(
        &self,
        id: TodoId,
        changes: TodoChanges,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// `Ok(false)` when no such todo exists.
    async fn delete(&self, id: TodoId) -> Result<bool, RepositoryError>;
}
