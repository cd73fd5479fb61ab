//! Persistence of todos.
//!
//! A todo is reached through its owner's live credential (a session, or a
//! personal access token): every method a request calls takes the caller as
//! a [`LiveCredential`] and does its work only if the credential is live at
//! that moment, atomically with the work (see [`LiveCredential`] for what
//! that means and how a SQL or in-memory store achieves it). A method whose
//! answer is empty does not say why (the credential is not live, no such
//! todo, someone else's): the use case asks [`TodoRepository::find_by_id`]
//! and the session or token store when it needs to know, which only the
//! rare answers pay for.

use async_trait::async_trait;

use crate::credential::LiveCredential;
use crate::error::RepositoryError;
use crate::pagination::{Page, TodoPosition, Window};
use crate::todo::{NewTodo, Todo, TodoChanges, TodoFilter, TodoId};

/// Stores todos.
///
/// Implementations MUST, for every method taking `caller`: check that the
/// credential is live ([`LiveCredential`]: the session rule of
/// [`LiveCredential::admits_session`], the token rule of
/// [`PersonalTokenRepository::holds`](crate::ports::PersonalTokenRepository::holds))
/// against the stored user and session or token atomically with the work,
/// and do nothing (return `Ok(None)` / `Ok(false)`) when it
/// fails. Errors are [`RepositoryError::Unavailable`] when the store cannot
/// be reached and [`RepositoryError::Unexpected`] otherwise; no method of
/// this port ever returns [`RepositoryError::Conflict`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TodoRepository: Send + Sync {
    /// Inserts the todo (for `caller.user`: `todo.user_id` is theirs) with
    /// a new, never reused id, if the caller's credential is live; `Ok(None)`
    /// when it is not, and then nothing was inserted.
    async fn create(
        &self,
        todo: NewTodo,
        caller: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// Any user's todo, without a session check: only for telling a missing
    /// todo from someone else's after a checked call came back empty.
    async fn find_by_id(&self, id: TodoId) -> Result<Option<Todo>, RepositoryError>;

    /// The todo `id` if it is `caller.user`'s and the caller's credential is
    /// live.
    async fn find_owned(
        &self,
        id: TodoId,
        caller: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// One page of `caller.user`'s todos that match `filter`, newest first
    /// (`created_at` descending, then `id` descending), with the total of
    /// every matching todo, if the caller's credential is live; `Ok(None)`
    /// when it is not.
    ///
    /// The page is `window.page.page_size()` todos: after skipping
    /// `window.page.offset()` of them, or, when `window.after` is `Some`,
    /// the first ones strictly after that position in this order (whether
    /// or not a todo still stands there), in time that does not grow with
    /// how many todos come before it. [`Page::has_more`] says whether any
    /// matching todo follows the page; `request` is `window.page`. `total`
    /// MUST be exact (every matching todo, in the same snapshot as the
    /// page when the store has snapshots) and SHOULD cost O(1).
    async fn list_owned(
        &self,
        caller: LiveCredential,
        filter: TodoFilter,
        window: Window<TodoPosition>,
    ) -> Result<Option<Page<Todo>>, RepositoryError>;

    /// Applies the changes, atomically, to the todo `id` if `caller.user`
    /// owns it, its `updated_at` is before `changes.updated_at` (so
    /// `updated_at` only ever moves forward) and the caller's credential is
    /// live; `Ok(None)` when any of these fails, and then nothing changed.
    async fn update(
        &self,
        id: TodoId,
        changes: TodoChanges,
        caller: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError>;

    /// Deletes the todo `id`, atomically, if `caller.user` owns it and the
    /// caller's credential is live; `Ok(false)` when either fails.
    async fn delete(&self, id: TodoId, caller: LiveCredential) -> Result<bool, RepositoryError>;
}
