//! Fixtures shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use domain::ports::{TodoRepository, UserRepository};
use domain::{
    Email, FullName, NewTodo, NewUser, PasswordHash, Priority, Todo, TodoDescription, TodoTitle,
    User, UserId, Username,
};
use infra_sea::testing::TestDatabase;
use infra_sea::{SeaTodoRepository, SeaUserRepository};

pub async fn database() -> TestDatabase {
    TestDatabase::new().await.expect("a fresh test database")
}

pub fn users(db: &TestDatabase) -> SeaUserRepository {
    SeaUserRepository::new(db.connection().clone())
}

pub fn todos(db: &TestDatabase) -> SeaTodoRepository {
    SeaTodoRepository::new(db.connection().clone())
}

/// A user named `name` with the address `name@example.com`.
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        email: Email::parse(format!("{name}@example.com")).unwrap(),
        username: Username::parse(name).unwrap(),
        full_name: FullName::parse(format!("{name} Example")).unwrap(),
        password_hash: PasswordHash::new(
            "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWX",
        ),
        is_active: true,
        is_admin: false,
        created_at: domain::time::now(),
    }
}

pub async fn create_user(repo: &SeaUserRepository, name: &str) -> User {
    repo.create(new_user(name)).await.expect("create user")
}

pub fn new_todo(owner: UserId, title: &str) -> NewTodo {
    NewTodo {
        title: TodoTitle::parse(title).unwrap(),
        description: Some(TodoDescription::parse(format!("about {title}")).unwrap()),
        priority: Priority::Medium,
        user_id: owner,
        created_at: domain::time::now(),
    }
}

pub async fn create_todo_at(
    repo: &SeaTodoRepository,
    owner: UserId,
    title: &str,
    created_at: DateTime<Utc>,
) -> Todo {
    let todo = NewTodo {
        created_at,
        ..new_todo(owner, title)
    };
    repo.create(todo).await.expect("create todo")
}

/// A fixed instant on a whole second, for tests that need exact times.
pub fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}
