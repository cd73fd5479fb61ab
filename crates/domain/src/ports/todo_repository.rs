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

    /// Applies the changes, in one statement, to the todo `id` if `owner`
    /// owns it and its `updated_at` is before `changes.updated_at` (so
    /// `updated_at` only ever moves forward); `Ok(None)` when no todo
    /// matched all three, and then nothing changed.
    async fn update(
        &self,
        id: TodoId,
        owner: UserId,
        changes: TodoChanges,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// Deletes the todo `id` if `owner` owns it, in one statement;
    /// `Ok(false)` when no such todo of theirs exists.
    async fn delete(&self, id: TodoId, owner: UserId) -> Result<bool, RepositoryError>;
}
