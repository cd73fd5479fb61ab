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
        let current = self.get(actor, id).await?;
        let changes = TodoChanges {
            patch,
            updated_at: time::after(current.updated_at),
        };
        self.todos
            .update(id, changes)
            .await?
            .ok_or(TodoError::NotFound)
    }

    /// # Errors
    /// As [`TodoService::get`].
    pub async fn delete(&self, actor: Actor, id: TodoId) -> Result<(), TodoError> {
        self.get(actor, id).await?;
        if self.todos.delete(id).await? {
            Ok(())
        } else {
            Err(TodoError::NotFound)
        }
    }
}
