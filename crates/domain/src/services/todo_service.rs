//! Todos: each user manages only their own.

use std::sync::Arc;

use crate::error::RepositoryError;
use crate::pagination::{Page, PageRequest};
use crate::ports::TodoRepository;
use crate::services::actor::Actor;
use crate::time;
use crate::todo::{
    NewTodo, Priority, Todo, TodoChanges, TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle,
};

/// How many times an update is tried when the todo keeps changing under it
/// within the same microsecond (in practice once, rarely twice).
const UPDATE_ATTEMPTS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum TodoError {
    #[error("todo not found")]
    NotFound,
    /// The todo exists and belongs to someone else.
    #[error("not enough permissions")]
    Forbidden,
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

/// Create, read, update and delete of the actor's own todos.
#[derive(Clone)]
pub struct TodoService {
    todos: Arc<dyn TodoRepository>,
}

impl TodoService {
    pub fn new(todos: Arc<dyn TodoRepository>) -> Self {
        Self { todos }
    }

    /// # Errors
    /// Only infrastructure failures.
    pub async fn create(
        &self,
        actor: Actor,
        title: TodoTitle,
        description: Option<TodoDescription>,
        priority: Option<Priority>,
    ) -> Result<Todo, TodoError> {
        let todo = NewTodo {
            title,
            description,
            priority: priority.unwrap_or_default(),
            user_id: actor.id,
            created_at: time::now(),
        };
        Ok(self.todos.create(todo).await?)
    }

    /// The actor's todos, newest first.
    ///
    /// # Errors
    /// Only infrastructure failures.
    pub async fn list(
        &self,
        actor: Actor,
        filter: TodoFilter,
        page: PageRequest,
    ) -> Result<Page<Todo>, TodoError> {
        Ok(self.todos.list_for_user(actor.id, filter, page).await?)
    }

    /// # Errors
    /// [`TodoError::NotFound`], or [`TodoError::Forbidden`] for someone else's todo.
    pub async fn get(&self, actor: Actor, id: TodoId) -> Result<Todo, TodoError> {
        let todo = self
            .todos
            .find_by_id(id)
            .await?
            .ok_or(TodoError::NotFound)?;
        if todo.user_id == actor.id {
            Ok(todo)
        } else {
            Err(TodoError::Forbidden)
        }
    }

    /// # Errors
    /// As [`TodoService::get`].
    pub async fn update(
        &self,
        actor: Actor,
        id: TodoId,
        patch: TodoPatch,
    ) -> Result<Todo, TodoError> {
        // One statement in the usual case: the actor's todo, changed now.
        let mut updated_at = time::now();
        for _ in 0..UPDATE_ATTEMPTS {
            let changes = TodoChanges {
                patch: patch.clone(),
                updated_at,
            };
            if let Some(todo) = self.todos.update(id, actor.id, changes).await? {
                return Ok(todo);
            }
            // Nothing matched: no such todo (404), someone else's (403), or
            // its `updated_at` is not before ours (changed within this very
            // microsecond, or the clock stepped back): look, and go past it.
            let current = self.get(actor, id).await?;
            updated_at = time::after(current.updated_at);
        }
        Err(TodoError::Unavailable(anyhow::anyhow!(
            "todo {} kept changing under {UPDATE_ATTEMPTS} attempts to update it",
            id.0
        )))
    }

    /// # Errors
    /// As [`TodoService::get`].
    pub async fn delete(&self, actor: Actor, id: TodoId) -> Result<(), TodoError> {
        if self.todos.delete(id, actor.id).await? {
            return Ok(());
        }
        // Nothing deleted: say whether it is missing (404) or not theirs (403).
        self.get(actor, id).await?;
        // Theirs and present after all: it cannot have appeared in between
        // (ids are never reused), but try once more rather than guess.
        if self.todos.delete(id, actor.id).await? {
            Ok(())
        } else {
            Err(TodoError::NotFound)
        }
    }
}
