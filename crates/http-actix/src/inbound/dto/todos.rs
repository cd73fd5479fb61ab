//! Todo bodies.

use chrono::{DateTime, Utc};
use domain::todo::TodoPatch;
use domain::{Priority, Todo, TodoDescription, TodoTitle};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use super::rules::{self, parse};
use crate::inbound::error::ApiError;
use crate::inbound::extract::Patch;

/// The schema of a `priority`: one of the domain's priorities by name.
fn priority_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            [Priority::Low, Priority::Medium, Priority::High].map(Priority::as_str),
        ))
        .examples([Priority::High.as_str()])
        .build()
}

/// A `priority` that may also be `null` (on create: the default, `medium`).
fn nullable_priority_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            [Priority::Low, Priority::Medium, Priority::High]
                .map(|p| serde_json::Value::from(p.as_str()))
                .into_iter()
                .chain([serde_json::Value::Null]),
        ))
        .examples([Priority::High.as_str()])
        .build()
}

/// `POST /v1/todos`. `id`, `user_id` and other unknown fields are ignored.
#[derive(Debug, Deserialize, garde::Validate, ToSchema)]
pub struct CreateTodoRequest {
    #[garde(custom(rules::title))]
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000]*$",
        examples("Write the first program")
    )]
    pub title: String,
    #[garde(inner(custom(rules::description)))]
    #[serde(default)]
    #[schema(
        pattern = "^[^\\u0000]*$",
        examples("For the Analytical Engine: Bernoulli numbers")
    )]
    pub description: Option<String>,
    /// Defaults to `medium` when absent or `null`.
    #[garde(inner(custom(rules::priority)))]
    #[serde(default)]
    #[schema(schema_with = nullable_priority_schema)]
    pub priority: Option<String>,
}

impl CreateTodoRequest {
    /// # Errors
    /// 422 if a field breaks a domain rule.
    pub fn into_parts(
        self,
    ) -> Result<(TodoTitle, Option<TodoDescription>, Option<Priority>), ApiError> {
        Ok((
            parse("title", TodoTitle::parse(self.title))?,
            self.description
                .map(|d| parse("description", TodoDescription::parse(d)))
                .transpose()?,
            self.priority
                .map(|p| parse("priority", p.parse::<Priority>()))
                .transpose()?,
        ))
    }
}

/// `PATCH /v1/todos/{id}`: `description: null` clears it; `null` for any
/// other field is refused. Absent fields are left unchanged.
#[derive(Debug, Deserialize, garde::Validate, ToSchema)]
pub struct UpdateTodoRequest {
    #[garde(custom(|v: &Patch<String>, (): &()| non_null(v, rules::title)))]
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 255, pattern = "^[^\\u0000]*$", examples("Write the second program"))]
    pub title: Patch<String>,
    /// `null` clears the description.
    #[garde(custom(|v: &Patch<String>, (): &()| nullable(v, rules::description)))]
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[^\\u0000]*$")]
    pub description: Patch<String>,
    #[garde(custom(|v: &Patch<bool>, (): &()| if *v == Patch::Null { Err(garde::Error::new("may not be null")) } else { Ok(()) }))]
    #[serde(default)]
    #[schema(value_type = bool, examples(true))]
    pub is_completed: Patch<bool>,
    #[garde(custom(|v: &Patch<String>, (): &()| non_null(v, rules::priority)))]
    #[serde(default)]
    #[schema(schema_with = priority_schema)]
    pub priority: Patch<String>,
}

/// A patch field that may be absent but not `null`.
fn non_null<T: std::ops::Deref>(
    value: &Patch<T>,
    rule: impl FnOnce(&T::Target, &()) -> garde::Result,
) -> garde::Result {
    match value {
        Patch::Missing => Ok(()),
        Patch::Null => Err(garde::Error::new("may not be null")),
        Patch::Value(v) => rule(v, &()),
    }
}

/// A patch field whose `null` clears the value.
fn nullable<T: std::ops::Deref>(
    value: &Patch<T>,
    rule: impl FnOnce(&T::Target, &()) -> garde::Result,
) -> garde::Result {
    match value {
        Patch::Value(v) => rule(v, &()),
        Patch::Missing | Patch::Null => Ok(()),
    }
}

impl UpdateTodoRequest {
    /// # Errors
    /// 422 if a field breaks a domain rule.
    pub fn into_patch(self) -> Result<TodoPatch, ApiError> {
        let title = match self.title {
            Patch::Value(t) => Some(parse("title", TodoTitle::parse(t))?),
            Patch::Missing | Patch::Null => None,
        };
        let description = match self.description {
            Patch::Missing => None,
            Patch::Null => Some(None),
            Patch::Value(d) => Some(Some(parse("description", TodoDescription::parse(d))?)),
        };
        let priority = match self.priority {
            Patch::Value(p) => Some(parse("priority", p.parse::<Priority>())?),
            Patch::Missing | Patch::Null => None,
        };
        let is_completed = match self.is_completed {
            Patch::Value(b) => Some(b),
            Patch::Missing | Patch::Null => None,
        };
        Ok(TodoPatch {
            title,
            description,
            is_completed,
            priority,
        })
    }
}

/// A todo as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TodoResponse {
    #[schema(minimum = 1, examples(42))]
    pub id: i64,
    #[schema(examples("Write the first program"))]
    pub title: String,
    pub description: Option<String>,
    #[schema(schema_with = priority_schema)]
    pub priority: &'static str,
    pub is_completed: bool,
    /// The owner's id.
    #[schema(minimum = 1, examples(1))]
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Todo> for TodoResponse {
    fn from(todo: Todo) -> Self {
        Self {
            id: todo.id.0,
            title: todo.title.as_str().to_owned(),
            description: todo.description.map(|d| d.as_str().to_owned()),
            priority: todo.priority.as_str(),
            is_completed: todo.is_completed,
            user_id: todo.user_id.0,
            created_at: todo.created_at,
            updated_at: todo.updated_at,
        }
    }
}

/// `GET /v1/todos`: one page of the caller's todos, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TodoListResponse {
    pub todos: Vec<TodoResponse>,
    /// Matching todos in all pages.
    #[schema(examples(1))]
    pub total: u64,
    #[schema(minimum = 1, examples(1))]
    pub page: u64,
    #[schema(minimum = 1, maximum = 100, examples(10))]
    pub page_size: u64,
    /// The next page's `cursor` (opaque): send it back as `?cursor=` for the
    /// todos after this page's last one, read by position rather than by
    /// offset. `null` on the last page.
    #[schema(examples(
        "AQAAAAAAAAABAAAAAAAAAAIAAAAAAAAACgEAAAAAAGhT8YAAAAAAAAAAAAAAAAAqNb0xWzS1dG7QY5nk3oxpTw"
    ))]
    pub next_cursor: Option<String>,
}
