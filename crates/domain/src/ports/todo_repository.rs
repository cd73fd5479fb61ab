//! Persistence of todos.
//!
//! Every method a request calls takes a [`SessionCheck`] and proves it in
//! the same statement as its own work, so an authenticated request costs
//! one round trip in the usual case; a method whose answer is empty does
//! not say why (session ended, no such todo, someone else's) and the use
//! case asks [`TodoRepository::find_by_id`] and the session store when it
//! needs to know.

use async_trait::async_trait;

use crate::error::RepositoryError;
use crate::pagination::{Page, PageRequest};
use crate::session::SessionCheck;
use crate::todo::{NewTodo, Todo, TodoChanges, TodoFilter, TodoId};

/// Stores todos.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait TodoRepository: Send + Sync {
    /// Inserts the todo for `check.user` if the check holds; `Ok(None)`
    /// when it does not, and then nothing was inserted.
    async fn create(
        &self,
        todo: NewTodo,
        check: SessionCheck,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// Any user's todo, without a session check: only for telling a missing
    /// todo from someone else's after a checked statement came back empty.
    async fn find_by_id(&self, id: TodoId) -> Result<Option<Todo>, RepositoryError>;

    /// The todo `id` if it is `check.user`'s and the check holds.
    async fn find_owned(
        &self,
        id: TodoId,
        check: SessionCheck,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// `check.user`'s todos, newest first (`created_at` then `id`,
    /// descending), if the check holds; `Ok(None)` when it does not.
    async fn list_owned(
        &self,
        check: SessionCheck,
        filter: TodoFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Todo>>, RepositoryError>;

    /// Applies the changes, in one statement, to the todo `id` if
    /// `check.user` owns it, its `updated_at` is before
    /// `changes.updated_at` (so `updated_at` only ever moves forward) and
    /// the check holds; `Ok(None)` when any of these fails, and then nothing
    /// changed.
    async fn update(
        &self,
        id: TodoId,
        changes: TodoChanges,
        check: SessionCheck,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// Deletes the todo `id`, in one statement, if `check.user` owns it and
    /// the check holds; `Ok(false)` when either fails.
    async fn delete(&self, id: TodoId, check: SessionCheck) -> Result<bool, RepositoryError>;
}
