//! Fixtures shared by the integration tests of infra-sea's own machinery
//! (the ports' behaviour is tested by the port contract, `contract.rs`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{SessionRepository, TodoRepository, UserRepository};
use domain::{
    ClientInfo, Email, FullName, LiveCredential, NewSession, NewTodo, NewUser, PasswordHash,
    Priority, RefreshTokenHash, Session, Todo, TodoTitle, User, UserId, Username,
};
use infra_sea::testing::TestDatabase;
use infra_sea::{SeaLoginAttempts, SeaSessionRepository, SeaTodoRepository, SeaUserRepository};

/// The instant the tests' times are measured from: 2025-06-01T12:00:00Z.
pub const BASE: DateTime<Utc> = match DateTime::from_timestamp(1_748_779_200, 0) {
    Some(t) => t,
    None => DateTime::<Utc>::UNIX_EPOCH,
};

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
        created_at: BASE,
    }
}

pub async fn create_user(repo: &SeaUserRepository, name: &str) -> User {
    repo.create(new_user(name)).await.expect("create user")
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

/// A session of `user` opened at [`BASE`].
pub async fn create_session(
    repo: &SeaSessionRepository,
    user: UserId,
    first_token: &str,
) -> Session {
    repo.create(new_session(user, first_token, BASE))
        .await
        .expect("create session")
}

/// A user named `name` with a live session, and the caller naming both, at
/// [`BASE`].
pub async fn signed_in(db: &TestDatabase, name: &str) -> (User, LiveCredential) {
    let user = create_user(&users(db), name).await;
    let session = create_session(&sessions(db), user.id, name).await;
    let caller = LiveCredential {
        user: user.id,
        credential: domain::Credential::Session(session.id),
        at: BASE,
    };
    (user, caller)
}

/// Creates a todo through a live session.
pub async fn create_todo(repo: &SeaTodoRepository, caller: LiveCredential, title: &str) -> Todo {
    let todo = NewTodo {
        title: TodoTitle::parse(title).unwrap(),
        description: None,
        priority: Priority::Medium,
        user_id: caller.user,
        created_at: BASE,
    };
    repo.create(todo, caller)
        .await
        .expect("create todo")
        .expect("the session is live")
}
