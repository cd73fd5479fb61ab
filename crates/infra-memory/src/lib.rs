//! An in-process, in-memory storage adapter: every storage port that
//! `infra-sea` implements, with the same observable semantics, and no
//! database at all.
//!
//! It is for tests and demos: swap it in for the SQL adapters (the HTTP test
//! suite, the port-contract suite, a quick local run). It is **not** a
//! production store: nothing is persisted, everything is lost with the last
//! clone of the [`MemoryStore`], and one instance serves one process only
//! (the throttling counts of [`LoginAttempts`] are not shared between
//! instances of the service as the database's are).
//!
//! # Ports
//!
//! [`MemoryStore::repositories`] hands out every storage port of
//! [`domain::ports::Repositories`] over one shared state, so a user deleted
//! through `users` takes their todos, sessions, refresh tokens, account
//! tokens, TOTP factor and recovery codes with it (the schema's `ON DELETE
//! CASCADE`):
//!
//! - [`UserRepository`]: ids from 1, never reused; email and username unique
//!   case-insensitively, [`RepositoryError::Conflict`] naming the field.
//! - [`SessionRepository`]: sessions with their refresh-token hashes;
//!   [`SessionRepository::rotate`] checks and writes in one step, so of
//!   concurrent rotations of one token exactly one wins.
//! - [`TodoRepository`]: newest first (`created_at`, then `id`, descending).
//! - [`LoginAttempts`]: events per key; each `record` prunes the recorded
//!   keys' events older than the retention ([`MemoryStore::with_retention`],
//!   24 hours by default), as `infra-sea`'s `SeaLoginAttempts` does.
//! - [`DatabaseProbe`]: answers the store's clock (`Clock::now`).
//! - [`SchemaStatus`]: answers [`MemoryStore::set_pending_migrations`]
//!   (0, "up to date", by default).
//! - [`AccountTokenRepository`]: token hashes with the mail each write
//!   queues, and password resets that end the user's sessions, each under
//!   the one lock (so atomic, and of concurrent redemptions of one token
//!   exactly one wins).
//! - [`PersonalTokenRepository`]: personal access tokens by the hash of
//!   their secret.
//! - [`Outbox`]: a claim picks and leases its messages under the lock, so
//!   concurrent claims never return one message twice.
//! - [`SecondFactorRepository`]: TOTP factors and recovery-code hashes;
//!   every conditional write (a step accepted, a code used, a reseal)
//!   checks and writes under the lock, so of concurrent ones exactly one
//!   wins.
//! - [`StorePruner`](domain::ports::StorePruner): ended sessions with their
//!   tokens, old events, finished mail and ended account tokens, all at
//!   once under the store's lock (never
//!   [`Busy`](domain::ports::PruneOutcome::Busy): one store, one process).
//!
//! Beside the store, [`MemoryMailer`] is the outbound mail port
//! ([`domain::ports::Mailer`]) over a list in memory: the tests read the
//! delivered messages from it, and make it fail as a mail server would.
//!
//! # Switches for tests
//!
//! - [`MemoryStore::set_unavailable`]: while set, every method of every port
//!   (the probe and the schema status too) fails with
//!   [`RepositoryError::Unavailable`], as during a database outage, and
//!   changes nothing.
//! - [`MemoryStore::set_pending_migrations`]: what the readiness check sees.
//!
//! # The session check
//!
//! Every [`TodoRepository`] method taking a [`domain::LiveCredential`] evaluates
//! [`domain::LiveCredential::admits`] against the stored user and session
//! under the one lock that guards the whole state, and does its work under
//! that same lock: a logout, a password change or a deactivation is either
//! stored before (and the work does not happen) or after. No lock is held
//! across an `.await` (nothing here awaits).
//!
//! # Where it mirrors PostgreSQL rather than SQLite
//!
//! The two SQL backends differ in a few corners; the memory store follows
//! PostgreSQL, the production backend. (Case-insensitive uniqueness is no
//! longer such a corner: every adapter compares [`domain::fold_case`] keys,
//! and a row colliding on both email and username is a conflict on
//! [`ConflictField::Email`] everywhere, as the port says.)
//!
//! - What PostgreSQL refuses is refused, with [`RepositoryError::Unexpected`]:
//!   NUL in any text, and text longer than its `VARCHAR` column (email 254,
//!   username 100, full name 255, password hash 255, todo title 255
//!   characters); SQLite stores both. The user agent (512), client address
//!   (64) and throttle key (512) are cut instead, as `infra-sea` cuts them.
//! - Timestamps are kept to the microsecond ([`domain::time::truncate`]),
//!   as PostgreSQL keeps them; SQLite would keep a finer fraction if given
//!   one (the domain's clocks never give one).
//! - A write refused by a constraint consumes no id (SQLite's
//!   `AUTOINCREMENT`; a PostgreSQL identity may skip one). Ids are
//!   increasing and never reused on every backend.
//!
//! # Poisoning
//!
//! No code runs under the lock that can panic (no callbacks, no clock
//! reads; every write is checked completely before its first change), so a
//! poisoned lock can only come from outside this crate's code paths and
//! cannot have torn the state: it is recovered with
//! [`std::sync::PoisonError::into_inner`] rather than failing every later call.
//!
//! [`UserRepository`]: domain::ports::UserRepository
//! [`SessionRepository`]: domain::ports::SessionRepository
//! [`SessionRepository::rotate`]: domain::ports::SessionRepository::rotate
//! [`TodoRepository`]: domain::ports::TodoRepository
//! [`LoginAttempts`]: domain::ports::LoginAttempts
//! [`DatabaseProbe`]: domain::ports::DatabaseProbe
//! [`SchemaStatus`]: domain::ports::SchemaStatus
//! [`AccountTokenRepository`]: domain::ports::AccountTokenRepository
//! [`Outbox`]: domain::ports::Outbox
//! [`PersonalTokenRepository`]: domain::ports::PersonalTokenRepository
//! [`SecondFactorRepository`]: domain::ports::SecondFactorRepository
//! [`RepositoryError::Conflict`]: domain::RepositoryError::Conflict
//! [`RepositoryError::Unavailable`]: domain::RepositoryError::Unavailable
//! [`RepositoryError::Unexpected`]: domain::RepositoryError::Unexpected
//! [`ConflictField::Email`]: domain::ConflictField::Email

mod account_tokens;
mod login_attempts;
mod mailer;
mod outbox;
mod personal_tokens;
mod probe;
mod pruning;
mod second_factors;
mod sessions;
mod state;
mod todos;
mod users;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use anyhow::anyhow;
use chrono::TimeDelta;
use domain::RepositoryError;
use domain::ports::{Clock, Repositories};

pub use mailer::{MailFailure, MemoryMailer};
use state::State;

/// How long login-attempt events are kept unless told otherwise (as
/// `infra-sea`): well past the default throttling windows.
const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// The in-memory store: one state behind one lock, shared by every clone
/// and by every port [`MemoryStore::repositories`] hands out. Cheap to
/// clone. `Debug` shows row counts only (never a password or token hash).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    unavailable: AtomicBool,
    pending_migrations: AtomicUsize,
}

impl MemoryStore {
    /// An empty store; its [`domain::ports::DatabaseProbe`] answers
    /// `clock.now()`.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(retention_delta(DEFAULT_RETENTION))),
                clock,
                unavailable: AtomicBool::new(false),
                pending_migrations: AtomicUsize::new(0),
            }),
        }
    }

    /// All ten storage ports over this one store.
    #[must_use]
    pub fn repositories(&self) -> Repositories {
        Repositories {
            users: Arc::new(users::MemoryUsers(self.clone())),
            sessions: Arc::new(sessions::MemorySessions(self.clone())),
            todos: Arc::new(todos::MemoryTodos(self.clone())),
            attempts: Arc::new(login_attempts::MemoryLoginAttempts(self.clone())),
            probe: Arc::new(probe::MemoryProbe(self.clone())),
            schema: Arc::new(probe::MemorySchemaStatus(self.clone())),
            pruner: Arc::new(pruning::MemoryPruner(self.clone())),
            account_tokens: Arc::new(account_tokens::MemoryAccountTokens(self.clone())),
            outbox: Arc::new(outbox::MemoryOutbox(self.clone())),
            personal_tokens: Arc::new(personal_tokens::MemoryPersonalTokens(self.clone())),
            second_factors: Arc::new(second_factors::MemorySecondFactors(self.clone())),
        }
    }

    /// Keeps login-attempt events for `retention` (default 24 hours), which
    /// must be at least the longest throttling window, or `recent` would
    /// miss pruned events. Applies to every clone of this store.
    #[must_use]
    pub fn with_retention(self, retention: Duration) -> Self {
        self.lock().retention = retention_delta(retention);
        self
    }

    /// While set, every method of every port (the probe too) returns
    /// [`RepositoryError::Unavailable`] — a database outage, for tests.
    pub fn set_unavailable(&self, down: bool) {
        self.inner.unavailable.store(down, Ordering::SeqCst);
    }

    /// What [`domain::ports::SchemaStatus::pending_migrations`] answers
    /// (default 0: "up to date").
    pub fn set_pending_migrations(&self, n: usize) {
        self.inner.pending_migrations.store(n, Ordering::SeqCst);
    }

    /// `Err(Unavailable)` while the store is switched off.
    fn available(&self) -> Result<(), RepositoryError> {
        if self.inner.unavailable.load(Ordering::SeqCst) {
            Err(RepositoryError::Unavailable(anyhow!(
                "the in-memory store is switched off (MemoryStore::set_unavailable)"
            )))
        } else {
            Ok(())
        }
    }

    /// The state, recovered if poisoned (see the crate docs: no code under
    /// this lock can panic mid-write, so the state cannot be torn).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` on the state under the lock, unless the store is
    /// switched off. `work` must check everything before its first change.
    fn with_state<T>(
        &self,
        work: impl FnOnce(&mut State) -> Result<T, RepositoryError>,
    ) -> Result<T, RepositoryError> {
        self.available()?;
        let mut state = self.lock();
        work(&mut state)
    }
}

fn retention_delta(retention: Duration) -> TimeDelta {
    TimeDelta::from_std(retention).unwrap_or(TimeDelta::MAX)
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("MemoryStore");
        // Counts only: rows hold password hashes and token hashes.
        let state = match self.inner.state.try_lock() {
            Ok(state) => Some(state),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            // Held elsewhere right now (Debug never waits for it).
            Err(TryLockError::WouldBlock) => None,
        };
        match state {
            Some(state) => out
                .field("users", &state.users.len())
                .field("todos", &state.todos.len())
                .field("sessions", &state.sessions.len())
                .field("refresh_tokens", &state.tokens.len())
                .field("throttle_keys", &state.attempts.len())
                .field(
                    "login_attempt_events",
                    &state.attempts.values().map(Vec::len).sum::<usize>(),
                )
                .field("account_tokens", &state.account_tokens.len())
                .field("outbox", &state.outbox.len())
                .field("totp_factors", &state.totp_factors.len())
                .field("recovery_codes", &state.recovery_codes.len()),
            None => out.field("state", &"<locked>"),
        };
        out.field(
            "unavailable",
            &self.inner.unavailable.load(Ordering::SeqCst),
        )
        .field(
            "pending_migrations",
            &self.inner.pending_migrations.load(Ordering::SeqCst),
        )
        .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use chrono::{TimeDelta, Utc};
    use domain::ports::ThrottleKey;
    use domain::time::ManualClock;
    use domain::{Email, FullName, NewUser, PasswordHash, Username};

    use super::*;

    fn store() -> MemoryStore {
        MemoryStore::new(Arc::new(ManualClock::starting_now()))
    }

    fn new_user(name: &str) -> NewUser {
        NewUser {
            email: Email::parse(format!("{name}@example.com")).unwrap(),
            username: Username::parse(name).unwrap(),
            full_name: FullName::parse(name).unwrap(),
            password_hash: PasswordHash::new("$2b$12$hash"),
            is_active: true,
            is_admin: false,
            created_at: domain::time::SystemClock::now(),
        }
    }

    #[tokio::test]
    async fn a_panic_while_the_lock_was_held_does_not_break_the_store() {
        let store = store();
        let repos = store.repositories();
        let alice = repos.users.create(new_user("alice")).await.unwrap();

        let poisoner = store.clone();
        let outcome = std::thread::spawn(move || {
            let _guard = poisoner.inner.state.lock().unwrap();
            panic!("a panic while the lock is held");
        })
        .join();
        assert!(outcome.is_err());
        assert!(store.inner.state.is_poisoned());

        // Every port still answers, with the data written before.
        assert_eq!(repos.users.find_by_id(alice.id).await.unwrap(), Some(alice));
        let bob = repos.users.create(new_user("bob")).await.unwrap();
        assert_eq!(bob.id.0, 2);
        repos
            .attempts
            .record(&[ThrottleKey::Account("bob".into())], Utc::now())
            .await
            .unwrap();
        assert!(format!("{store:?}").contains("users: 2"));
        let store = store.with_retention(Duration::from_secs(60));
        assert_eq!(store.lock().retention, TimeDelta::seconds(60));
    }

    #[tokio::test]
    async fn pruning_bounds_the_events_kept() {
        let store = store().with_retention(Duration::from_secs(3600));
        let attempts = store.repositories().attempts;
        let key = ThrottleKey::LoginIp("203.0.113.9".to_owned());
        let start = domain::time::SystemClock::now();
        // One event a minute for a day: only the last hour's stay.
        for minute in 0..(24 * 60) {
            attempts
                .record(
                    std::slice::from_ref(&key),
                    start + TimeDelta::minutes(minute),
                )
                .await
                .unwrap();
            assert!(store.lock().attempt_count() <= 61);
        }
        assert_eq!(store.lock().attempt_count(), 61);

        // Clearing a key frees its entry, not just its events.
        attempts.clear(&key).await.unwrap();
        assert_eq!(store.lock().attempt_count(), 0);
        assert!(store.lock().attempts.is_empty());
    }
}
