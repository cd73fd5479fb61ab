//! Fixtures shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{SessionRepository, TodoRepository, UserRepository};
use domain::{
    ClientInfo, Email, FullName, LiveSession, NewSession, NewTodo, NewUser, PasswordHash, Priority,
    RefreshTokenHash, Session, Todo, TodoDescription, TodoTitle, User, UserId, Username,
};
use infra_sea::testing::TestDatabase;
use infra_sea::{SeaLoginAttempts, SeaSessionRepository, SeaTodoRepository, SeaUserRepository};

pub async fn database() -> TestDatabase {
    TestDatabase::new().await.expect("a fresh test database")
}

pub fn users(db: &TestDatabase) -> SeaUserRepository {
    SeaUserRepository::new(db.connection().clone())
}

pub fn todos(db: &TestDatabase) -> SeaTodoRepository {
    SeaTodoRepository::new(db.connection().clone())
}

pub fn sessions(db: &TestDatabase) -> SeaSessionRepository {
    SeaSessionRepository::new(db.connection().clone())
}

pub fn attempts(db: &TestDatabase) -> SeaLoginAttempts {
    SeaLoginAttempts::new(db.connection().clone())
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
        created_at: domain::time::SystemClock::now(),
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
        created_at: domain::time::SystemClock::now(),
    }
}

/// A user named `name` with a live session, and the check naming both (as
/// a verified access token of theirs would), at the current time.
pub async fn signed_in(db: &TestDatabase, name: &str) -> (User, LiveSession) {
    let user = create_user(&users(db), name).await;
    let session = create_session(&sessions(db), user.id, name).await;
    (user, check_of(&session))
}

/// The check a request through `session` makes now.
pub fn check_of(session: &Session) -> LiveSession {
    LiveSession {
        user: session.user_id,
        session: session.id,
        at: domain::time::SystemClock::now(),
    }
}

/// Creates a todo through a session that holds.
pub async fn create_todo(repo: &SeaTodoRepository, check: LiveSession, title: &str) -> Todo {
    repo.create(new_todo(check.user, title), check)
        .await
        .expect("create todo")
        .expect("the session holds")
}

pub async fn create_todo_at(
    repo: &SeaTodoRepository,
    check: LiveSession,
    title: &str,
    created_at: DateTime<Utc>,
) -> Todo {
    let todo = NewTodo {
        created_at,
        ..new_todo(check.user, title)
    };
    repo.create(todo, check)
        .await
        .expect("create todo")
        .expect("the session holds")
}

/// A fixed instant on a whole second, for tests that need exact times.
pub fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

/// A well-formed refresh-token hash (64 lower-case hex digits), distinct per
/// `label` (up to 32 bytes).
pub fn token_hash(label: &str) -> RefreshTokenHash {
    assert!(label.len() <= 32, "label too long for a distinct hash");
    let hex: String = label.bytes().map(|b| format!("{b:02x}")).collect();
    RefreshTokenHash::new(format!("{hex:0>64}"))
}

/// A session of `user` opened at `created_at`, living 30 days, whose first
/// refresh token is `token_hash(first_token)`.
pub fn new_session(user: UserId, first_token: &str, created_at: DateTime<Utc>) -> NewSession {
    NewSession {
        user_id: user,
        first_token: token_hash(first_token),
        created_at,
        expires_at: created_at + TimeDelta::days(30),
        client: ClientInfo::new(
            Some("Mozilla/5.0 (X11; Linux x86_64)"),
            Some("203.0.113.9".to_owned()),
        ),
    }
}

pub async fn create_session(
    repo: &SeaSessionRepository,
    user: UserId,
    first_token: &str,
) -> Session {
    repo.create(new_session(
        user,
        first_token,
        domain::time::SystemClock::now(),
    ))
    .await
    .expect("create session")
}
