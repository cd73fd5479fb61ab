//! Fixtures the contract tests share: fixed instants, users, sessions,
//! todos, mail and account tokens made through the ports.

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::Repositories;
use domain::{
    AccountTokenHash, AccountTokenKind, ClientInfo, Credential, Email, FullName, LiveCredential,
    MailMessage, NewAccountToken, NewSession, NewTodo, NewUser, PasswordHash, Priority,
    RefreshTokenHash, Session, Todo, TodoDescription, TodoTitle, User, UserId, Username,
};

/// The instant every test's time is measured from: 2025-06-01T12:00:00Z.
pub const BASE: DateTime<Utc> = match DateTime::from_timestamp(1_748_779_200, 0) {
    Some(t) => t,
    None => DateTime::<Utc>::UNIX_EPOCH,
};

/// How long [`new_session`]'s sessions live.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::days(30);

/// [`BASE`] plus `offset`.
#[must_use]
pub fn at(offset: TimeDelta) -> DateTime<Utc> {
    BASE + offset
}

/// A later instant than `t` (1 ms), for an `updated_at` that moves forward.
#[must_use]
pub fn after(t: DateTime<Utc>) -> DateTime<Utc> {
    t + TimeDelta::milliseconds(1)
}

/// A fixed instant, e.g. `instant("2025-01-01T00:00:00.123456Z")`.
#[must_use]
pub fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

/// A user named `name` with the address `name@example.com`, created at
/// [`BASE`].
#[must_use]
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

pub async fn create_user(ports: &Repositories, name: &str) -> User {
    ports
        .users
        .create(new_user(name))
        .await
        .expect("create user")
}

/// A well-formed refresh-token hash (64 lower-case hex digits), distinct per
/// `label` (up to 32 bytes).
#[must_use]
pub fn token_hash(label: &str) -> RefreshTokenHash {
    assert!(label.len() <= 32, "label too long for a distinct hash");
    let hex: String = label.bytes().map(|b| format!("{b:02x}")).collect();
    RefreshTokenHash::new(format!("{hex:0>64}"))
}

/// A session of `user` opened at `created_at`, living
/// [`SESSION_LIFETIME`], whose first refresh token is
/// `token_hash(first_token)`.
#[must_use]
pub fn new_session(user: UserId, first_token: &str, created_at: DateTime<Utc>) -> NewSession {
    NewSession {
        user_id: user,
        first_token: token_hash(first_token),
        created_at,
        expires_at: created_at + SESSION_LIFETIME,
        client: ClientInfo::new(
            Some("Mozilla/5.0 (X11; Linux x86_64)"),
            Some("203.0.113.9".to_owned()),
        ),
    }
}

/// A session of `user` opened at [`BASE`].
pub async fn create_session(ports: &Repositories, user: UserId, first_token: &str) -> Session {
    ports
        .sessions
        .create(new_session(user, first_token, BASE))
        .await
        .expect("create session")
}

/// A user named `name` with a live session, and the caller naming both (as
/// a verified access token of theirs would), at [`BASE`].
pub async fn signed_in(ports: &Repositories, name: &str) -> (User, LiveCredential) {
    let user = create_user(ports, name).await;
    let session = create_session(ports, user.id, name).await;
    (user, live(&session))
}

/// The caller of a request through `session` at [`BASE`].
#[must_use]
pub fn live(session: &Session) -> LiveCredential {
    LiveCredential {
        user: session.user_id,
        credential: Credential::Session(session.id),
        at: BASE,
    }
}

/// A todo of `owner` titled `title`, with a description, created at
/// [`BASE`].
#[must_use]
pub fn new_todo(owner: UserId, title: &str) -> NewTodo {
    NewTodo {
        title: TodoTitle::parse(title).unwrap(),
        description: Some(TodoDescription::parse(format!("about {title}")).unwrap()),
        priority: Priority::Medium,
        user_id: owner,
        created_at: BASE,
    }
}

/// Creates a todo through a live session.
pub async fn create_todo(ports: &Repositories, caller: LiveCredential, title: &str) -> Todo {
    create_todo_at(ports, caller, title, BASE).await
}

/// Creates a todo created at `created_at` through a live session.
pub async fn create_todo_at(
    ports: &Repositories,
    caller: LiveCredential,
    title: &str,
    created_at: DateTime<Utc>,
) -> Todo {
    let todo = NewTodo {
        created_at,
        ..new_todo(caller.user, title)
    };
    ports
        .todos
        .create(todo, caller)
        .await
        .expect("create todo")
        .expect("the session is live")
}

/// A message to `to` whose parts carry a link with `label` in it.
#[must_use]
pub fn mail(to: &str, label: &str) -> MailMessage {
    MailMessage {
        to: Email::parse(to).unwrap(),
        subject: format!("Subject {label}"),
        text: format!("Open https://app.example/{label}?token=secret-{label}"),
        html: format!(
            "<p><a href=\"https://app.example/{label}?token=secret-{label}\">Open</a> ✓</p>"
        ),
    }
}

/// An account-token hash distinct per `label` (the store takes any text).
#[must_use]
pub fn account_token_hash(label: &str) -> AccountTokenHash {
    AccountTokenHash::new(format!("account-token-hash-{label}"))
}

/// How long [`new_account_token`]'s tokens live.
pub const ACCOUNT_TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// A token of `user` of `kind`, hashed as `account_token_hash(label)`,
/// created at `created_at`, living [`ACCOUNT_TOKEN_LIFETIME`].
#[must_use]
pub fn new_account_token(
    user: &User,
    kind: AccountTokenKind,
    label: &str,
    created_at: DateTime<Utc>,
) -> NewAccountToken {
    NewAccountToken {
        user_id: user.id,
        kind,
        hash: account_token_hash(label),
        email: user.email.clone(),
        created_at,
        expires_at: created_at + ACCOUNT_TOKEN_LIFETIME,
    }
}

/// Issues `token` with a mail labelled like its hash; panics on failure.
pub async fn issue(ports: &Repositories, token: NewAccountToken, label: &str) {
    let to = token.email.as_str().to_owned();
    ports
        .account_tokens
        .issue(token, mail(&to, label))
        .await
        .expect("issue an account token");
}
