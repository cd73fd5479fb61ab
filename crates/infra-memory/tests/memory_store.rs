//! What is particular to the in-memory store: its switches, its lock (one
//! winner among concurrent writes), its ids, its bounded login log, and the
//! corners where it follows PostgreSQL (text PostgreSQL refuses, timestamps
//! cut to the microsecond). The ports' general semantics are the
//! port-contract suite's (`tests/contract.rs` runs it on this store); a test
//! the suite already makes does not belong here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{Clock, Repositories, ThrottleKey};
use domain::time::ManualClock;
use domain::{
    ClientInfo, ConflictField, Email, FullName, LiveCredential, NewSession, NewTodo, NewUser,
    PageRequest, PasswordHash, Priority, RefreshTokenHash, RepositoryError, Session, SessionId,
    TodoChanges, TodoFilter, TodoId, TodoPatch, TodoTitle, User, UserChanges, UserId, UserPatch,
    Username,
};
use infra_memory::MemoryStore;

const PASSWORD_HASH: &str = "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWX";

struct Fixture {
    clock: Arc<ManualClock>,
    store: MemoryStore,
    repos: Repositories,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::at(instant("2026-01-01T12:00:00Z")));
    let store = MemoryStore::new(clock.clone());
    let repos = store.repositories();
    Fixture {
        clock,
        store,
        repos,
    }
}

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

fn new_user(name: &str, at: DateTime<Utc>) -> NewUser {
    NewUser {
        email: Email::parse(format!("{name}@example.com")).unwrap(),
        username: Username::parse(name).unwrap(),
        full_name: FullName::parse(format!("{name} Example")).unwrap(),
        password_hash: PasswordHash::new(PASSWORD_HASH),
        is_active: true,
        is_admin: false,
        created_at: at,
    }
}

/// 64 lower-case hex digits, distinct per label (up to 32 bytes).
fn token_hash(label: &str) -> RefreshTokenHash {
    let hex: String = label.bytes().map(|b| format!("{b:02x}")).collect();
    RefreshTokenHash::new(format!("{hex:0>64}"))
}

fn new_session(user: UserId, first_token: &str, at: DateTime<Utc>) -> NewSession {
    NewSession {
        user_id: user,
        first_token: token_hash(first_token),
        created_at: at,
        expires_at: at + TimeDelta::days(30),
        client: ClientInfo::new(Some("test-agent"), Some("203.0.113.9".to_owned())),
    }
}

fn new_todo(owner: UserId, title: &str, at: DateTime<Utc>) -> NewTodo {
    NewTodo {
        title: TodoTitle::parse(title).unwrap(),
        description: None,
        priority: Priority::Medium,
        user_id: owner,
        created_at: at,
    }
}

impl Fixture {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn user(&self, name: &str) -> User {
        self.repos
            .users
            .create(new_user(name, self.now()))
            .await
            .unwrap()
    }

    async fn session(&self, user: UserId, token: &str) -> Session {
        self.repos
            .sessions
            .create(new_session(user, token, self.now()))
            .await
            .unwrap()
    }

    /// A user with a live session, and the caller naming both.
    async fn signed_in(&self, name: &str) -> (User, Session, LiveCredential) {
        let user = self.user(name).await;
        let session = self.session(user.id, name).await;
        let caller = LiveCredential {
            user: user.id,
            credential: domain::Credential::Session(session.id),
            at: self.now(),
        };
        (user, session, caller)
    }
}

fn is_unavailable<T: std::fmt::Debug>(result: Result<T, RepositoryError>) -> bool {
    matches!(result, Err(RepositoryError::Unavailable(_)))
}

fn is_unexpected<T: std::fmt::Debug>(result: Result<T, RepositoryError>) -> bool {
    matches!(result, Err(RepositoryError::Unexpected(_)))
}

// --- the switches -------------------------------------------------------------

#[tokio::test]
async fn while_unavailable_every_method_of_every_port_fails_and_changes_nothing() {
    let f = fixture();
    let (alice, session, caller) = f.signed_in("alice").await;
    let todo = f
        .repos
        .todos
        .create(new_todo(alice.id, "kept", f.now()), caller)
        .await
        .unwrap()
        .unwrap();
    let key = ThrottleKey::Account("alice".to_owned());
    f.repos
        .attempts
        .record(std::slice::from_ref(&key), f.now())
        .await
        .unwrap();
    let r = &f.repos;
    let now = f.now();
    let later = now + TimeDelta::seconds(1);

    f.store.set_unavailable(true);

    // UserRepository
    assert!(is_unavailable(r.users.create(new_user("bob", now)).await));
    assert!(is_unavailable(r.users.find_by_id(alice.id).await));
    assert!(is_unavailable(r.users.find_by_login("alice").await));
    assert!(is_unavailable(
        r.users.list(PageRequest::default().into()).await
    ));
    let deactivate = UserChanges {
        patch: UserPatch {
            is_active: Some(false),
            ..UserPatch::default()
        },
        updated_at: later,
        unverifies_email: false,
    };
    assert!(is_unavailable(
        r.users.update(alice.id, deactivate.clone()).await
    ));
    assert!(is_unavailable(
        r.users
            .set_password(alice.id, PasswordHash::new("$2b$12$new"), later)
            .await
    ));
    assert!(is_unavailable(r.users.delete(alice.id).await));
    // SessionRepository
    assert!(is_unavailable(
        r.sessions.create(new_session(alice.id, "other", now)).await
    ));
    assert!(is_unavailable(
        r.sessions.find_refresh_token(&token_hash("alice")).await
    ));
    assert!(is_unavailable(
        r.sessions
            .rotate(session.id, &token_hash("alice"), &token_hash("next"), later)
            .await
    ));
    assert!(is_unavailable(
        r.sessions.revoke(alice.id, session.id, later).await
    ));
    assert!(is_unavailable(
        r.sessions.revoke_all(alice.id, None, later).await
    ));
    assert!(is_unavailable(r.sessions.list_active(alice.id, now).await));
    assert!(is_unavailable(
        r.sessions
            .find_authenticated(alice.id, session.id, now)
            .await
    ));
    // TodoRepository
    assert!(is_unavailable(
        r.todos
            .create(new_todo(alice.id, "lost", now), caller)
            .await
    ));
    assert!(is_unavailable(r.todos.find_by_id(todo.id).await));
    assert!(is_unavailable(r.todos.find_owned(todo.id, caller).await));
    assert!(is_unavailable(
        r.todos
            .list_owned(caller, TodoFilter::default(), PageRequest::default().into())
            .await
    ));
    let complete = TodoChanges {
        patch: TodoPatch {
            is_completed: Some(true),
            ..TodoPatch::default()
        },
        updated_at: later,
    };
    assert!(is_unavailable(
        r.todos.update(todo.id, complete.clone(), caller).await
    ));
    assert!(is_unavailable(r.todos.delete(todo.id, caller).await));
    // LoginAttempts
    assert!(is_unavailable(
        r.attempts.record(std::slice::from_ref(&key), now).await
    ));
    assert!(is_unavailable(
        r.attempts.recent(&key, now - TimeDelta::hours(1), 10).await
    ));
    assert!(is_unavailable(r.attempts.clear(&key).await));
    // DatabaseProbe, SchemaStatus
    assert!(is_unavailable(r.probe.current_time().await));
    assert!(is_unavailable(r.schema.pending_migrations().await));

    f.store.set_unavailable(false);

    // Back up, with everything as it was before the outage.
    assert_eq!(
        r.users.find_by_id(alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        r.users
            .list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        r.sessions
            .find_refresh_token(&token_hash("alice"))
            .await
            .unwrap()
            .unwrap()
            .session,
        session
    );
    assert_eq!(
        r.sessions.list_active(alice.id, now).await.unwrap(),
        [session]
    );
    assert_eq!(r.todos.find_by_id(todo.id).await.unwrap(), Some(todo));
    assert_eq!(
        r.attempts
            .recent(&key, now - TimeDelta::hours(1), 10)
            .await
            .unwrap(),
        [now]
    );
    assert_eq!(r.probe.current_time().await.unwrap(), now);
    assert_eq!(r.schema.pending_migrations().await.unwrap(), 0);
}

#[tokio::test]
async fn schema_status_answers_the_pending_migrations_set() {
    let f = fixture();
    assert_eq!(f.repos.schema.pending_migrations().await.unwrap(), 0);

    f.store.set_pending_migrations(2);
    assert_eq!(f.repos.schema.pending_migrations().await.unwrap(), 2);
    // Every port handed out, before or after, sees the one setting.
    let later = f.store.clone().repositories();
    assert_eq!(later.schema.pending_migrations().await.unwrap(), 2);

    f.store.set_pending_migrations(0);
    assert_eq!(f.repos.schema.pending_migrations().await.unwrap(), 0);
}

#[tokio::test]
async fn the_probe_answers_the_stores_clock() {
    let f = fixture();
    assert_eq!(
        f.repos.probe.current_time().await.unwrap(),
        instant("2026-01-01T12:00:00Z")
    );

    f.clock.advance(Duration::from_micros(1_500_001));

    assert_eq!(
        f.repos.probe.current_time().await.unwrap(),
        instant("2026-01-01T12:00:01.500001Z")
    );
}

#[tokio::test]
async fn clones_and_their_repositories_share_one_state() {
    let f = fixture();
    let other = f.store.clone().repositories();
    let alice = f.user("alice").await;

    assert_eq!(other.users.find_by_id(alice.id).await.unwrap(), Some(alice));
    f.store.clone().set_unavailable(true);
    assert!(is_unavailable(other.users.find_by_login("alice").await));
}

#[tokio::test]
async fn debug_shows_counts_but_never_a_password_or_token_hash() {
    let f = fixture();
    let (alice, _, _) = f.signed_in("alice").await;

    let shown = format!("{:?}", f.store);

    assert!(shown.contains("users: 1"), "{shown}");
    assert!(!shown.contains(alice.password_hash.as_str()), "{shown}");
    assert!(!shown.contains("abcdefghij"), "{shown}");
    assert!(!shown.contains(token_hash("alice").as_str()), "{shown}");
}

// --- the lock -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_rotations_of_one_token_exactly_one_wins() {
    let f = fixture();
    let alice = f.user("alice").await;
    let session = f.session(alice.id, "contested").await;
    const RACERS: usize = 32;
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let at = f.now() + TimeDelta::minutes(1);

    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let sessions = Arc::clone(&f.repos.sessions);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let successor = token_hash(&format!("successor-{i}"));
                start.wait().await;
                let won = sessions
                    .rotate(session.id, &token_hash("contested"), &successor, at)
                    .await
                    .unwrap();
                (won, successor)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        let (won, successor) = task.await.unwrap();
        if won {
            winners.push(successor);
        } else {
            losers.push(successor);
        }
    }

    assert_eq!(winners.len(), 1, "{} rotations won", winners.len());
    let sessions = &f.repos.sessions;
    let current = sessions
        .find_refresh_token(&winners[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.spent_at, None);
    assert_eq!(current.session.last_used_at, at);
    let spent = sessions
        .find_refresh_token(&token_hash("contested"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.spent_at, Some(at));
    // The losers wrote nothing.
    for successor in &losers {
        assert_eq!(sessions.find_refresh_token(successor).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_creates_of_one_username_exactly_one_succeeds() {
    let f = fixture();
    let now = f.now();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let users = Arc::clone(&f.repos.users);
            let user = NewUser {
                username: Username::parse(if i % 2 == 0 { "racer" } else { "RACER" }).unwrap(),
                email: Email::parse(format!("racer{i}@example.com")).unwrap(),
                ..new_user("racer", now)
            };
            tokio::spawn(async move { users.create(user).await })
        })
        .collect();
    let mut created = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(user) => created.push(user),
            Err(RepositoryError::Conflict(ConflictField::Username)) => conflicts += 1,
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }

    assert_eq!((created.len(), conflicts), (1, 19));
    // The refused creates consumed no id.
    assert_eq!(created[0].id, UserId(1));
    assert_eq!(f.user("next").await.id, UserId(2));
}

// --- the cascade and the ids --------------------------------------------------

// What deleting takes with it is the contract's (`delete_deletes_the_users_*`);
// here: that no table gives a deleted row's id out again.
#[tokio::test]
async fn deleted_rows_free_no_id_in_any_table() {
    let f = fixture();
    let (alice, alices, _) = f.signed_in("alice").await;
    let (bob, _, bob_in) = f.signed_in("bob").await;
    let r = &f.repos;
    let bobs_todo = r
        .todos
        .create(new_todo(bob.id, "bob's", f.now()), bob_in)
        .await
        .unwrap()
        .unwrap();

    assert!(r.users.delete(bob.id).await.unwrap());

    // Bob had the highest id of users, sessions and todos.
    let carol = f.user("carol").await;
    assert_eq!(carol.id, UserId(bob.id.0 + 1));
    let (_, carols, carol_in) = f.signed_in("dave").await;
    assert_eq!(carols.id, SessionId(alices.id.0 + 2));
    let todo = r
        .todos
        .create(new_todo(carols.user_id, "after", f.now()), carol_in)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(todo.id, TodoId(bobs_todo.id.0 + 1));
    // A recreated bob is a new user.
    assert_ne!(f.user("bob").await.id, bob.id);
    assert_eq!(r.users.find_by_id(alice.id).await.unwrap(), Some(alice));
}

// --- the login log ------------------------------------------------------------

#[tokio::test]
async fn record_prunes_the_recorded_keys_past_the_retention() {
    let f = fixture();
    let store = f.store.clone().with_retention(Duration::from_secs(3600));
    let attempts = store.repositories().attempts;
    let alice = ThrottleKey::Account("alice".to_owned());
    let bob = ThrottleKey::Account("bob".to_owned());
    let start = f.now();
    attempts
        .record(&[alice.clone(), bob.clone()], start)
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(3600));
    attempts
        .record(std::slice::from_ref(&alice), f.now())
        .await
        .unwrap();
    let everything = |key: ThrottleKey| {
        let attempts = Arc::clone(&attempts);
        async move {
            attempts
                .recent(&key, DateTime::<Utc>::MIN_UTC, u32::MAX)
                .await
                .unwrap()
        }
    };

    // Exactly one retention old: kept.
    assert_eq!(everything(alice.clone()).await, [f.now(), start]);

    f.clock.advance(Duration::from_micros(1));
    attempts
        .record(std::slice::from_ref(&alice), f.now())
        .await
        .unwrap();

    // Older than the retention: gone, for the recorded key only.
    assert_eq!(
        everything(alice.clone()).await,
        [f.now(), start + TimeDelta::hours(1)]
    );
    assert_eq!(everything(bob.clone()).await, [start]);
}

#[tokio::test]
async fn a_busy_key_keeps_only_one_retention_of_events() {
    let f = fixture();
    let store = f.store.clone().with_retention(Duration::from_secs(600));
    let attempts = store.repositories().attempts;
    let key = ThrottleKey::LoginIp("198.51.100.7".to_owned());

    // One event a second for two hours.
    for _ in 0..7200 {
        attempts
            .record(std::slice::from_ref(&key), f.now())
            .await
            .unwrap();
        f.clock.advance(Duration::from_secs(1));
    }

    let kept = attempts
        .recent(&key, DateTime::<Utc>::MIN_UTC, u32::MAX)
        .await
        .unwrap();
    assert_eq!(kept.len(), 601);
}

#[tokio::test]
async fn the_default_retention_is_a_day() {
    let f = fixture();
    let key = ThrottleKey::RegisterIp("192.0.2.1".to_owned());
    let attempts = &f.repos.attempts;
    let start = f.now();
    attempts
        .record(std::slice::from_ref(&key), start)
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(24 * 3600));
    attempts
        .record(std::slice::from_ref(&key), f.now())
        .await
        .unwrap();
    assert_eq!(
        attempts
            .recent(&key, DateTime::<Utc>::MIN_UTC, 10)
            .await
            .unwrap(),
        [f.now(), start]
    );

    f.clock.advance(Duration::from_secs(1));
    attempts
        .record(std::slice::from_ref(&key), f.now())
        .await
        .unwrap();

    assert_eq!(
        attempts
            .recent(&key, DateTime::<Utc>::MIN_UTC, 10)
            .await
            .unwrap(),
        [f.now(), start + TimeDelta::hours(24)]
    );
}

// --- where PostgreSQL is followed ---------------------------------------------

#[tokio::test]
async fn text_postgres_cannot_store_is_refused_and_nothing_is_written() {
    let f = fixture();
    let (alice, _, alice_in) = f.signed_in("alice").await;
    let r = &f.repos;

    let too_long = NewUser {
        password_hash: PasswordHash::new("x".repeat(256)),
        ..new_user("bob", f.now())
    };
    assert!(is_unexpected(r.users.create(too_long).await));
    let nul = NewUser {
        full_name: FullName::from_stored("Bob\0".to_owned()),
        ..new_user("bob", f.now())
    };
    assert!(is_unexpected(r.users.create(nul).await));
    assert!(is_unexpected(r.users.find_by_login("ali\0ce").await));
    assert!(is_unexpected(
        r.users
            .set_password(alice.id, PasswordHash::new("é".repeat(256)), f.now())
            .await
    ));
    let long_title = NewTodo {
        title: TodoTitle::from_stored("t".repeat(256)),
        ..new_todo(alice.id, "x", f.now())
    };
    assert!(is_unexpected(r.todos.create(long_title, alice_in).await));

    assert_eq!(
        r.users
            .list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        r.users.find_by_id(alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        r.todos
            .list_owned(
                alice_in,
                TodoFilter::default(),
                PageRequest::default().into()
            )
            .await
            .unwrap()
            .unwrap()
            .total,
        0
    );
    // A 255-character hash is fine, and the next user gets the next id.
    let fits = NewUser {
        password_hash: PasswordHash::new("é".repeat(255)),
        ..new_user("bob", f.now())
    };
    assert_eq!(
        r.users.create(fits).await.unwrap().id,
        UserId(alice.id.0 + 1)
    );
}

#[tokio::test]
async fn a_bad_successor_token_fails_the_rotation_and_spends_nothing() {
    let f = fixture();
    let alice = f.user("alice").await;
    let session = f.session(alice.id, "first").await;
    let r = &f.repos;
    let other = f.session(alice.id, "taken").await;

    for successor in [
        RefreshTokenHash::new("AB".repeat(32)),
        RefreshTokenHash::new("not a hash".to_owned()),
        token_hash("taken"),
        token_hash("first"),
    ] {
        assert!(is_unexpected(
            r.sessions
                .rotate(session.id, &token_hash("first"), &successor, f.now())
                .await
        ));
    }

    let first = r
        .sessions
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.spent_at, first.session), (None, session));
    let taken = r
        .sessions
        .find_refresh_token(&token_hash("taken"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.session, other);
    // A session for a user who does not exist is refused too.
    assert!(is_unexpected(
        r.sessions
            .create(new_session(UserId(999), "ghost", f.now()))
            .await
    ));
    assert_eq!(
        r.sessions
            .find_refresh_token(&token_hash("ghost"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn timestamps_are_kept_to_the_microsecond() {
    let f = fixture();
    let precise = instant("2026-03-04T05:06:07.123456789Z");
    let user = f
        .repos
        .users
        .create(new_user("alice", precise))
        .await
        .unwrap();

    assert_eq!(user.created_at, instant("2026-03-04T05:06:07.123456Z"));
    assert_eq!(
        f.repos
            .users
            .find_by_id(user.id)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        instant("2026-03-04T05:06:07.123456Z")
    );
}

#[tokio::test]
async fn while_unavailable_the_outbox_and_the_account_tokens_fail_and_change_nothing() {
    use domain::{AccountTokenHash, AccountTokenKind, MailMessage, NewAccountToken};

    let f = fixture();
    let (alice, session, _) = f.signed_in("alice").await;
    let r = &f.repos;
    let now = f.now();
    let message = MailMessage {
        to: alice.email.clone(),
        subject: "Reset".to_owned(),
        text: "https://app.example/reset?token=t".to_owned(),
        html: "<a href=\"https://app.example/reset?token=t\">reset</a>".to_owned(),
    };
    let token = NewAccountToken {
        user_id: alice.id,
        kind: AccountTokenKind::PasswordReset,
        hash: AccountTokenHash::new("hash".to_owned()),
        email: alice.email.clone(),
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
    };
    r.account_tokens
        .issue(token.clone(), message.clone())
        .await
        .unwrap();
    let live = r
        .account_tokens
        .find_live(&token.hash, token.kind, now)
        .await
        .unwrap()
        .unwrap();
    let queued = r.outbox.stats().await.unwrap();
    let id = domain::OutboxId(1);
    let lease = Duration::from_secs(60);

    f.store.set_unavailable(true);

    // AccountTokenRepository
    let other = NewAccountToken {
        hash: AccountTokenHash::new("other".to_owned()),
        ..token.clone()
    };
    assert!(is_unavailable(
        r.account_tokens.issue(other, message.clone()).await
    ));
    assert!(is_unavailable(
        r.account_tokens
            .find_live(&token.hash, token.kind, now)
            .await
    ));
    assert!(is_unavailable(
        r.account_tokens
            .redeem_password_reset(
                live.id,
                PasswordHash::new("$2b$12$new"),
                now,
                message.clone(),
                now
            )
            .await
    ));
    assert!(is_unavailable(
        r.account_tokens.revoke_all(alice.id, token.kind, now).await
    ));
    // Outbox
    assert!(is_unavailable(r.outbox.enqueue(message.clone(), now).await));
    assert!(is_unavailable(r.outbox.claim(now, lease, 10).await));
    assert!(is_unavailable(r.outbox.mark_sent(id, now).await));
    assert!(is_unavailable(r.outbox.retry_at(id, now, "e").await));
    assert!(is_unavailable(r.outbox.mark_failed(id, now, "e").await));
    assert!(is_unavailable(r.outbox.release(id, now).await));
    assert!(is_unavailable(r.outbox.stats().await));

    f.store.set_unavailable(false);

    assert_eq!(
        r.account_tokens
            .find_live(&token.hash, token.kind, now)
            .await
            .unwrap(),
        Some(live)
    );
    assert_eq!(r.outbox.stats().await.unwrap(), queued);
    assert_eq!(
        r.sessions.list_active(alice.id, now).await.unwrap(),
        [session]
    );
    let claimed = r.outbox.claim(now, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message, message);
    assert_eq!(claimed[0].attempt, 1);
    assert!(
        r.account_tokens
            .find_live(&AccountTokenHash::new("other".to_owned()), token.kind, now)
            .await
            .unwrap()
            .is_none()
    );
}
