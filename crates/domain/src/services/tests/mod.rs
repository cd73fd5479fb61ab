//! Unit tests of the use cases, with mockall mocks standing in for every port.
//!
//! This module holds the fixtures the service tests share: stored users,
//! todos and sessions, actors, registrations, client information and the
//! repository failures.

mod auth_service;
mod mail_relay;
mod personal_token_service;
mod prune_service;
mod recovery_service;
mod session_service;
mod throttle;
mod todo_service;
mod user_service;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::account::{AccountToken, AccountTokenHash};
use crate::credential::Credential;
use crate::error::RepositoryError;
use crate::mail::{MailMessage, OutboxId};
use crate::pagination::ListCursor;
use crate::password::{Password, PasswordHash};
use crate::ports::{
    AccountMail, MockAccountTokenRepository, MockCursorSeal, MockMailComposer, MockOneTimeTokens,
    MockOutbox,
};
use crate::services::{AccountMailPorts, Actor, Authenticated, Registration};
use crate::session::{ClientInfo, Session, SessionId};
use crate::time::ManualClock;
use crate::todo::{NewTodo, Priority, Todo, TodoId, TodoTitle};
use crate::user::{Email, FullName, NewUser, User, UserId, Username};

/// An instant one mock records (the time a service stamped) for another
/// mock, or the test, to compare with.
pub(super) type SharedTime = Arc<Mutex<Option<DateTime<Utc>>>>;

/// The cursors a [`ledger_seal`] sealed, by number.
pub(super) type CursorLedger = Arc<Mutex<Vec<ListCursor>>>;

/// A cursor seal that seals a cursor as `cursor-<n>` (its index in
/// `ledger`) and opens only such strings: anything else is refused, as a
/// real seal refuses a string it did not make. A test seals the cursor it
/// sends with [`seal_into`].
pub(super) fn ledger_seal(ledger: &CursorLedger) -> MockCursorSeal {
    let mut seal = MockCursorSeal::new();
    let sealing = ledger.clone();
    seal.expect_seal()
        .returning(move |cursor| seal_into(&sealing, *cursor));
    let opening = ledger.clone();
    seal.expect_open().returning(move |sealed| {
        let index: usize = sealed.strip_prefix("cursor-")?.parse().ok()?;
        opening.lock().unwrap().get(index).copied()
    });
    seal
}

/// Records `cursor` in `ledger` and answers its sealed form.
pub(super) fn seal_into(ledger: &CursorLedger, cursor: ListCursor) -> String {
    let mut cursors = ledger.lock().unwrap();
    cursors.push(cursor);
    format!("cursor-{}", cursors.len() - 1)
}

/// A cursor seal that must not be used.
pub(super) fn unused_seal() -> MockCursorSeal {
    let mut seal = MockCursorSeal::new();
    seal.expect_seal().never();
    seal.expect_open().never();
    seal
}

/// The clear password every registration uses.
pub(super) const PASSWORD: &str = "correct horse battery";
/// What the mock hasher returns for [`PASSWORD`].
pub(super) const HASH: &str = "$2b$12$hash-of-correct-horse-battery";

/// A fixed instant in the past, so stored timestamps are predictable.
pub(super) fn long_ago() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap()
}

/// What the test clock shows: a fixed instant, well after [`long_ago`].
/// Services under test read [`clock`], which stands still there unless a
/// test moves it, so every time a service stamps is exactly predictable.
pub(super) fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_750_000_000_123_456).unwrap()
}

/// A clock standing at [`fixed_now`], for a service under test.
pub(super) fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(fixed_now()))
}

/// An instant the clock has not reached yet (a clock that stepped back).
pub(super) fn in_an_hour() -> DateTime<Utc> {
    fixed_now() + TimeDelta::hours(1)
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
        email_verified: false,
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
        email_verified: false,
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

/// The address every client in these tests connects from.
pub(super) const IP: &str = "203.0.113.9";

/// A client with a user agent and [`IP`].
pub(super) fn client() -> ClientInfo {
    ClientInfo::new(Some("test-agent/1.0"), Some(IP.to_owned()))
}

/// A live session `id` of user `owner`, opened long ago, expiring in a day.
pub(super) fn session(id: i64, owner: i64) -> Session {
    Session {
        id: SessionId(id),
        user_id: UserId(owner),
        created_at: long_ago(),
        last_used_at: long_ago(),
        expires_at: fixed_now() + TimeDelta::days(1),
        revoked_at: None,
        client: client(),
    }
}

/// An active member `user_id` authenticated through session `session_id`.
pub(super) fn authenticated(user_id: i64, session_id: i64) -> Authenticated {
    Authenticated {
        user: user(user_id, false, true),
        credential: Credential::Session(SessionId(session_id)),
    }
}

/// The token [`one_time_tokens`] generates.
pub(super) const TOKEN: &str = "the-one-time-token";

/// The composer stand-in: the subject names the mail's kind, the text holds
/// the token (if any), so a test can see which message went where.
pub(super) fn composer() -> MockMailComposer {
    let mut composer = MockMailComposer::new();
    composer.expect_compose().returning(|mail| {
        let (to, subject, text) = match mail {
            AccountMail::PasswordReset { to, token, .. } => {
                (to.clone(), "reset", token.expose().to_owned())
            }
            AccountMail::PasswordChanged { to, .. } => (to.clone(), "changed", String::new()),
            AccountMail::EmailVerification { to, token, .. } => {
                (to.clone(), "verify", token.expose().to_owned())
            }
            AccountMail::EmailChanged { to, .. } => (to.clone(), "email changed", String::new()),
        };
        MailMessage {
            to,
            subject: subject.to_owned(),
            text,
            html: String::new(),
        }
    });
    composer
}

pub(super) fn one_time_tokens() -> MockOneTimeTokens {
    let mut tokens = MockOneTimeTokens::new();
    tokens
        .expect_generate()
        .returning(|| AccountToken::new(TOKEN.to_owned()));
    tokens
        .expect_hash()
        .returning(|token| AccountTokenHash::new(format!("hash:{}", token.expose())));
    tokens
}

/// Account-mail ports that accept any revocation and queue any notice (for
/// the use cases whose mail is not what a test is about).
pub(super) fn accepting_account_mail() -> AccountMailPorts {
    let mut tokens = MockAccountTokenRepository::new();
    tokens.expect_revoke_all().returning(|_, _, _| Ok(0));
    tokens.expect_issue().returning(|_, _| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().returning(|_, _| Ok(OutboxId(1)));
    AccountMailPorts {
        tokens: Arc::new(tokens),
        one_time_tokens: Arc::new(one_time_tokens()),
        outbox: Arc::new(outbox),
        composer: Arc::new(composer()),
        verification_lifetime: std::time::Duration::from_secs(48 * 3600),
    }
}

pub(super) fn unavailable() -> RepositoryError {
    RepositoryError::Unavailable(anyhow::anyhow!("connection refused"))
}

pub(super) fn unexpected() -> RepositoryError {
    RepositoryError::Unexpected(anyhow::anyhow!("something broke"))
}
