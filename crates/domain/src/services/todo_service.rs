//! Todos: each user manages only their own.
//!
//! The use cases take the caller as a verified bearer credential names them
//! ([`Access`]: an access token's session, or a personal access token) and
//! let the repository prove the credential in the
//! same statement as the work ([`LiveCredential`]): one round trip per
//! request. Only when a statement comes back empty do they ask why (the
//! session ended: [`TodoError::Unauthenticated`]; no such todo; someone
//! else's), which costs more queries on those rarer answers.

use std::sync::Arc;

use crate::credential::{Access, Credential, LiveCredential};
use crate::error::RepositoryError;
use crate::pagination::{CursorError, CursorList, ListRequest, Listed};
use crate::ports::{Clock, CursorSeal, PersonalTokenRepository, SessionRepository, TodoRepository};
use crate::time;
use crate::todo::{
    NewTodo, Priority, Todo, TodoChanges, TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle,
};

/// How many times an update is tried when the todo keeps changing under it
/// within the same microsecond (in practice once, rarely twice).
const UPDATE_ATTEMPTS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum TodoError {
    /// The token's session ended or expired (or the personal access token
    /// was revoked or expired), or its user was deleted or
    /// deactivated: the request is refused as if the token were invalid.
    #[error("the session of the token is no longer valid")]
    Unauthenticated,
    #[error("todo not found")]
    NotFound,
    /// The todo exists and belongs to someone else.
    #[error("not enough permissions")]
    Forbidden,
    /// The `cursor` of a list request was refused.
    #[error("cursor {0}")]
    InvalidCursor(#[from] CursorError),
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for TodoError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable(e) => Self::Unavailable(e),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// Create, read, update and delete of the caller's own todos.
#[derive(Clone)]
pub struct TodoService {
    todos: Arc<dyn TodoRepository>,
    sessions: Arc<dyn SessionRepository>,
    personal_tokens: Arc<dyn PersonalTokenRepository>,
    cursors: Arc<dyn CursorSeal>,
    clock: Arc<dyn Clock>,
}

impl TodoService {
    pub fn new(
        todos: Arc<dyn TodoRepository>,
        sessions: Arc<dyn SessionRepository>,
        personal_tokens: Arc<dyn PersonalTokenRepository>,
        cursors: Arc<dyn CursorSeal>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            todos,
            sessions,
            personal_tokens,
            cursors,
            clock,
        }
    }

    /// The caller's credential, to be proven live now.
    fn live(&self, caller: Access) -> LiveCredential {
        LiveCredential {
            user: caller.user,
            credential: caller.credential,
            at: self.clock.now(),
        }
    }

    /// # Errors
    /// [`TodoError::Unauthenticated`], or infrastructure failures.
    pub async fn create(
        &self,
        caller: Access,
        title: TodoTitle,
        description: Option<TodoDescription>,
        priority: Option<Priority>,
    ) -> Result<Todo, TodoError> {
        let check = self.live(caller);
        let todo = NewTodo {
            title,
            description,
            priority: priority.unwrap_or_default(),
            user_id: caller.user,
            created_at: check.at,
        };
        self.todos
            .create(todo, check)
            .await?
            .ok_or(TodoError::Unauthenticated)
    }

    /// One page of the caller's todos that match `filter`, newest first,
    /// by number or after a cursor, with the cursor of the next page.
    ///
    /// # Errors
    /// [`TodoError::InvalidCursor`] for a cursor that is not one we sealed
    /// or not one of this caller's lists with this filter and page size
    /// (checked before any store is asked); [`TodoError::Unauthenticated`],
    /// or infrastructure failures.
    pub async fn list(
        &self,
        caller: Access,
        filter: TodoFilter,
        request: ListRequest,
    ) -> Result<Listed<Todo>, TodoError> {
        let window = request.window(&*self.cursors, caller.user, |list| match list {
            CursorList::Todos { completed, after } if completed == filter.completed => Some(after),
            CursorList::Todos { .. } | CursorList::Users { .. } => None,
        })?;
        let page = self
            .todos
            .list_owned(self.live(caller), filter, window)
            .await?
            .ok_or(TodoError::Unauthenticated)?;
        Ok(
            page.with_next_cursor(&*self.cursors, caller.user, |last| CursorList::Todos {
                completed: filter.completed,
                after: last.position(),
            }),
        )
    }

    /// # Errors
    /// [`TodoError::Unauthenticated`], [`TodoError::NotFound`], or
    /// [`TodoError::Forbidden`] for someone else's todo.
    pub async fn get(&self, caller: Access, id: TodoId) -> Result<Todo, TodoError> {
        let check = self.live(caller);
        if let Some(todo) = self.todos.find_owned(id, check).await? {
            return Ok(todo);
        }
        // Ask why; a todo of theirs seen by this second look (it cannot
        // have appeared in between: ids are never reused) is answered.
        self.explain_miss(check, id).await
    }

    /// # Errors
    /// As [`TodoService::get`].
    pub async fn update(
        &self,
        caller: Access,
        id: TodoId,
        patch: TodoPatch,
    ) -> Result<Todo, TodoError> {
        // One statement in the usual case: the caller's todo, changed now.
        let mut updated_at = self.clock.now();
        for _ in 0..UPDATE_ATTEMPTS {
            let changes = TodoChanges {
                patch: patch.clone(),
                updated_at,
            };
            let check = self.live(caller);
            if let Some(todo) = self.todos.update(id, changes, check).await? {
                return Ok(todo);
            }
            // Nothing matched: the session ended (401), no such todo (404),
            // someone else's (403), or its `updated_at` is not before ours
            // (changed within this very microsecond, or the clock stepped
            // back): look, and go past it.
            let current = self.explain_miss(check, id).await?;
            updated_at = time::after(self.clock.now(), current.updated_at);
        }
        Err(TodoError::Unavailable(anyhow::anyhow!(
            "todo {} kept changing under {UPDATE_ATTEMPTS} attempts to update it",
            id.0
        )))
    }

    /// # Errors
    /// As [`TodoService::get`].
    pub async fn delete(&self, caller: Access, id: TodoId) -> Result<(), TodoError> {
        let check = self.live(caller);
        if self.todos.delete(id, check).await? {
            return Ok(());
        }
        // Nothing deleted: say whether the session ended (401), the todo is
        // missing (404) or not theirs (403).
        self.explain_miss(check, id).await?;
        // Theirs and present after all: it cannot have appeared in between
        // (ids are never reused), but try once more rather than guess.
        if self.todos.delete(id, self.live(caller)).await? {
            Ok(())
        } else {
            Err(TodoError::NotFound)
        }
    }

    /// Why a checked statement on the todo `id` came back empty: the
    /// session no longer holds, the todo does not exist, or it is someone
    /// else's. `Ok` with the todo when none of these is so (it changed in
    /// between, or only its `updated_at` stood in the way).
    async fn explain_miss(&self, check: LiveCredential, id: TodoId) -> Result<Todo, TodoError> {
        let holds = match check.credential {
            Credential::Session(session) => self
                .sessions
                .find_authenticated(check.user, session, check.at)
                .await?
                .is_some(),
            Credential::PersonalToken(token) => {
                self.personal_tokens
                    .holds(check.user, token, check.at)
                    .await?
            }
        };
        if !holds {
            return Err(TodoError::Unauthenticated);
        }
        let todo = self
            .todos
            .find_by_id(id)
            .await?
            .ok_or(TodoError::NotFound)?;
        if todo.user_id == check.user {
            Ok(todo)
        } else {
            Err(TodoError::Forbidden)
        }
    }
}
