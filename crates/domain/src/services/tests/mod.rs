//! Unit tests of the use cases, with mockall mocks standing in for every port.
//!
//! This module holds the fixtures the service tests share: stored users and
//! todos, actors, registrations and the repository failures.

mod auth_service;
mod todo_service;
mod user_service;

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::RepositoryError;
use crate::password::{Password, PasswordHash};
use crate::services::{Actor, Registration};
use crate::time;
use crate::todo::{NewTodo, Priority, Todo, TodoId, TodoTitle};
use crate::user::{Email, FullName, NewUser, User, UserId, Username};

/// The clear password every registration uses.
pub(super) const PASSWORD: &str = "correct horse battery";
/// What the mock hasher returns for [`PASSWORD`].
pub(super) const HASH: &str = "$2b$12$hash-of-correct-horse-battery";

/// A fixed instant in the past, so stored timestamps are predictable.
pub(super) fn long_ago() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap()
}

/// An instant the clock has not reached yet (a clock that stepped back).
pub(super) fn in_an_hour() -> DateTime<Utc> {
    time::now() + TimeDelta::hours(1)
}

/// A stored user with a name derived from its id.
pub(super) fn user(id: i64, is_admin: bool, is_active: bool) -> User {
    User {
        id: UserId(id),
        email: Email::from_stored(format!("user{id}@example.com")),
        username: Username::from_stored(format!("user{id}")),
        full_name: FullName::from_stored(format!("User {id}")),
        password_hash: PasswordHash::new(HASH),
        is_active,
        is_admin,
        created_at: long_ago(),
        updated_at: long_ago(),
    }
}

/// What the store returns after inserting `new` under `id`.
pub(super) fn stored(id: i64, new: NewUser) -> User {
    User {
        id: UserId(id),
        email: new.email,
        username: new.username,
        full_name: new.full_name,
        password_hash: new.password_hash,
        is_active: new.is_active,
        is_admin: new.is_admin,
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

pub(super) fn admin(id: i64) -> Actor {
    Actor {
        id: UserId(id),
        is_admin: true,
    }
}

pub(super) fn member(id: i64) -> Actor {
    Actor {
        id: UserId(id),
        is_admin: false,
    }
}

/// A valid registration for `alice` with [`PASSWORD`].
pub(super) fn registration() -> Registration {
    Registration {
        email: Email::parse("alice@example.com").unwrap(),
        username: Username::parse("alice").unwrap(),
        full_name: FullName::parse("Alice Liddell").unwrap(),
        password: Password::parse(PASSWORD).unwrap(),
    }
}

/// A stored todo of `owner`.
pub(super) fn todo(id: i64, owner: i64) -> Todo {
    Todo {
        id: TodoId(id),
        title: TodoTitle::from_stored(format!("todo {id}")),
        description: None,
        priority: Priority::Medium,
        is_completed: false,
        user_id: UserId(owner),
        created_at: long_ago(),
        updated_at: long_ago(),
    }
}

/// What the store returns after inserting `new` under `id`.
pub(super) fn stored_todo(id: i64, new: NewTodo) -> Todo {
    Todo {
        id: TodoId(id),
        title: new.title,
        description: new.description,
        priority: new.priority,
        is_completed: false,
        user_id: new.user_id,
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

pub(super) fn unavailable() -> RepositoryError {
    RepositoryError::Unavailable(anyhow::anyhow!("connection refused"))
}

pub(super) fn unexpected() -> RepositoryError {
    RepositoryError::Unexpected(anyhow::anyhow!("something broke"))
}
