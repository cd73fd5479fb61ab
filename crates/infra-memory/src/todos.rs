//! [`TodoRepository`] in memory. Every method taking a [`LiveCredential`]
//! checks [`LiveCredential::admits`] against the stored user and session under
//! the store's one lock, the lock its work is done under.

use async_trait::async_trait;
use domain::ports::TodoRepository;
use domain::time::truncate;
use domain::{
    LiveCredential, NewTodo, Page, RepositoryError, Todo, TodoChanges, TodoFilter, TodoId,
    TodoPosition, Window,
};

use crate::MemoryStore;
use crate::state::{bindable, fits, rows_to_read, take_id, unexpected};

/// The width of `todos.title` in PostgreSQL.
const TITLE_CHARS: usize = 255;

pub(crate) struct MemoryTodos(pub(crate) MemoryStore);

/// The caller as the SQL binds it: its instant to the microsecond.
fn bound(caller: LiveCredential) -> LiveCredential {
    LiveCredential {
        at: truncate(caller.at),
        ..caller
    }
}

#[async_trait]
impl TodoRepository for MemoryTodos {
    async fn create(
        &self,
        new: NewTodo,
        caller: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError> {
        let caller = bound(caller);
        self.0.with_state(|state| {
            bindable(new.title.as_str(), "todos.title")?;
            if let Some(description) = &new.description {
                bindable(description.as_str(), "todos.description")?;
            }
            // INSERT ... SELECT ... WHERE EXISTS (the check): no row, no
            // error, unless the session holds.
            if !state.admits(&caller) {
                return Ok(None);
            }
            fits(new.title.as_str(), TITLE_CHARS, "todos.title")?;
            if !state.users.contains_key(&new.user_id.0) {
                return Err(unexpected(
                    "todos: the user does not exist (foreign key todos.user_id)",
                ));
            }
            let created_at = truncate(new.created_at);
            let todo = Todo {
                id: TodoId(take_id(&mut state.next_todo, "todos")?),
                title: new.title,
                description: new.description,
                priority: new.priority,
                is_completed: false,
                user_id: new.user_id,
                created_at,
                updated_at: created_at,
            };
            state.todos.insert(todo.id.0, todo.clone());
            Ok(Some(todo))
        })
    }

    async fn find_by_id(&self, id: TodoId) -> Result<Option<Todo>, RepositoryError> {
        self.0
            .with_state(|state| Ok(state.todos.get(&id.0).cloned()))
    }

    async fn find_owned(
        &self,
        id: TodoId,
        caller: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError> {
        let caller = bound(caller);
        self.0.with_state(|state| {
            if !state.admits(&caller) {
                return Ok(None);
            }
            Ok(state
                .todos
                .get(&id.0)
                .filter(|todo| todo.user_id == caller.user)
                .cloned())
        })
    }

    async fn list_owned(
        &self,
        caller: LiveCredential,
        filter: TodoFilter,
        window: Window<TodoPosition>,
    ) -> Result<Option<Page<Todo>>, RepositoryError> {
        let caller = bound(caller);
        self.0.with_state(|state| {
            if !state.admits(&caller) {
                return Ok(None);
            }
            let mut matching: Vec<&Todo> = state
                .todos
                .values()
                .filter(|todo| todo.user_id == caller.user)
                .filter(|todo| {
                    filter
                        .completed
                        .is_none_or(|done| todo.is_completed == done)
                })
                .collect();
            // ORDER BY created_at DESC, id DESC.
            matching.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
            let total = u64::try_from(matching.len()).unwrap_or(u64::MAX);
            let (offset, read) = rows_to_read(window.page);
            let rows: Vec<Todo> = match window.after {
                // Below the position in that order.
                Some(after) => matching
                    .into_iter()
                    .filter(|t| (t.created_at, t.id) < (after.created_at, after.id))
                    .take(read)
                    .cloned()
                    .collect(),
                None => matching
                    .into_iter()
                    .skip(offset)
                    .take(read)
                    .cloned()
                    .collect(),
            };
            Ok(Some(Page::from_rows(rows, total, window.page)))
        })
    }

    async fn update(
        &self,
        id: TodoId,
        changes: TodoChanges,
        caller: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError> {
        let caller = bound(caller);
        let updated_at = truncate(changes.updated_at);
        self.0.with_state(|state| {
            let patch = changes.patch;
            if let Some(title) = &patch.title {
                bindable(title.as_str(), "todos.title")?;
            }
            if let Some(Some(description)) = &patch.description {
                bindable(description.as_str(), "todos.description")?;
            }
            if !state.admits(&caller) {
                return Ok(None);
            }
            // WHERE id = ? AND user_id = ? AND updated_at < ?: updated_at
            // only ever moves forward.
            let Some(stored) = state
                .todos
                .get(&id.0)
                .filter(|todo| todo.user_id == caller.user && todo.updated_at < updated_at)
            else {
                return Ok(None);
            };
            if let Some(title) = &patch.title {
                fits(title.as_str(), TITLE_CHARS, "todos.title")?;
            }
            let mut row = stored.clone();
            if let Some(title) = patch.title {
                row.title = title;
            }
            if let Some(description) = patch.description {
                // Some(None) clears the description.
                row.description = description;
            }
            if let Some(is_completed) = patch.is_completed {
                row.is_completed = is_completed;
            }
            if let Some(priority) = patch.priority {
                row.priority = priority;
            }
            row.updated_at = updated_at;
            state.todos.insert(id.0, row.clone());
            Ok(Some(row))
        })
    }

    async fn delete(&self, id: TodoId, caller: LiveCredential) -> Result<bool, RepositoryError> {
        let caller = bound(caller);
        self.0.with_state(|state| {
            if !state.admits(&caller) {
                return Ok(false);
            }
            let owned = state
                .todos
                .get(&id.0)
                .is_some_and(|todo| todo.user_id == caller.user);
            Ok(owned && state.todos.remove(&id.0).is_some())
        })
    }
}
