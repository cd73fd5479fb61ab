//! Todos: identifiers, validated fields, the aggregate and its changes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::text::{InvalidValue, check_text};
use crate::user::UserId;

/// A todo's id (a positive 64-bit integer assigned by the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TodoId(pub i64);

/// 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoTitle(String);

/// Free text; no NUL (PostgreSQL cannot store it). Its size is bounded by the
/// request body limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoDescription(String);

impl TodoTitle {
    /// # Errors
    /// [`InvalidValue`] unless 1..=255 characters without NUL.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        check_text(&value, 1, 255)?;
        Ok(Self(value))
    }

    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TodoDescription {
    /// # Errors
    /// [`InvalidValue`] when the text holds a NUL character.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        check_text(&value, 0, usize::MAX)?;
        Ok(Self(value))
    }

    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A todo's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
}

impl Priority {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err(InvalidValue::new("must be one of: low, medium, high")),
        }
    }
}

/// A todo as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    pub id: TodoId,
    pub title: TodoTitle,
    pub description: Option<TodoDescription>,
    pub priority: Priority,
    pub is_completed: bool,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Todo {
    /// Where the todo stands in a todo list.
    #[must_use]
    pub fn position(&self) -> crate::pagination::TodoPosition {
        crate::pagination::TodoPosition {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

/// A todo to be inserted; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTodo {
    pub title: TodoTitle,
    pub description: Option<TodoDescription>,
    pub priority: Priority,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
}

/// What a client asked to change. `description: Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TodoPatch {
    pub title: Option<TodoTitle>,
    pub description: Option<Option<TodoDescription>>,
    pub is_completed: Option<bool>,
    pub priority: Option<Priority>,
}

/// A patch ready to be written, with the new `updated_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoChanges {
    pub patch: TodoPatch,
    pub updated_at: DateTime<Utc>,
}

/// Which todos a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TodoFilter {
    /// `Some(b)`: only todos whose `is_completed == b`.
    pub completed: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_rules() {
        assert!(TodoTitle::parse("").is_err());
        assert!(TodoTitle::parse("x".repeat(255)).is_ok());
        assert!(TodoTitle::parse("x".repeat(256)).is_err());
        assert!(TodoTitle::parse("'; DROP TABLE todos; --").is_ok());
    }

    #[test]
    fn description_may_be_empty_but_not_hold_nul() {
        assert!(TodoDescription::parse("").is_ok());
        assert!(TodoDescription::parse("a\0").is_err());
    }

    #[test]
    fn priority_round_trips() {
        for p in [Priority::Low, Priority::Medium, Priority::High] {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), p);
        }
        assert!("HIGH".parse::<Priority>().is_err());
        assert_eq!(Priority::default(), Priority::Medium);
    }
}
