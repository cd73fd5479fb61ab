//! SeaORM adapters for the domain's ports, on PostgreSQL or SQLite.
//!
//! - [`connect`] opens the pool from [`DatabaseSettings`] ([`connect_lazy`]
//!   without reaching the database); [`run_migrations`]
//!   applies the `migration` crate's schema.
//! - [`SeaUserRepository`], [`SeaTodoRepository`] and [`SeaDatabaseProbe`]
//!   implement `domain::ports::{UserRepository, TodoRepository, DatabaseProbe}`.
//! - [`SeaSessionRepository`] and [`SeaLoginAttempts`] implement
//!   `domain::ports::{SessionRepository, LoginAttempts}` (sessions with their
//!   refresh-token hashes; failed-login counts for throttling).
//! - [`SeaSchemaStatus`] implements `domain::ports::SchemaStatus` (pending
//!   migrations, for the readiness check).
//! - [`SeaOutbox`] and [`SeaAccountTokens`] implement
//!   `domain::ports::{Outbox, AccountTokenRepository}` (mail waiting for
//!   delivery, claimed `FOR UPDATE SKIP LOCKED` on PostgreSQL; one-time
//!   account tokens by hash, each write with its mail in one transaction).
//! - [`SeaStorePruner`] implements `domain::ports::StorePruner` (ended
//!   sessions, old login events, finished mail and ended account tokens,
//!   deleted in batches, on PostgreSQL one instance at a time under an
//!   advisory lock).
//! - [`SeaPersonalTokens`] implements `domain::ports::PersonalTokenRepository`
//!   (personal access tokens by the hash of their secret).
//! - [`SeaSecondFactors`] implements `domain::ports::SecondFactorRepository`
//!   (TOTP factors with their sealed secrets, recovery-code hashes; every
//!   conditional write one `UPDATE` whose `WHERE` is the condition).
//! - [`repositories`] puts all of them on one connection pool, as
//!   `domain::ports::Repositories`. Their behaviour is the port contract's
//!   (`crates/port-contract`), run on SQLite and PostgreSQL by
//!   `tests/contract.rs`.
//! - Every database error becomes a `domain::RepositoryError` in one place
//!   (the private `error` module); no `sea_orm::DbErr` leaves this crate.
//! - [`pool_stats`] reads the connection pool's size, idle and in-use
//!   connections (for metrics).
//! - With the `testing` feature, [`testing::TestDatabase`] gives each test a
//!   fresh, migrated database.

mod account_token_repository;
mod cached_sql;
mod connect_error;
mod connection;
mod credential_check;
mod database_probe;
pub mod entity;
mod error;
mod login_attempts;
mod outbox;
mod page_sql;
mod personal_token_repository;
mod pool_stats;
mod pruning;
mod schema_status;
mod second_factor_repository;
mod session_repository;
mod storable_text;
mod todo_repository;
mod user_repository;
mod write_transaction;

#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use domain::ports::Repositories;
use sea_orm::DatabaseConnection;

pub use account_token_repository::SeaAccountTokens;
pub use connection::{DatabaseSettings, connect, connect_lazy, run_migrations};
pub use database_probe::SeaDatabaseProbe;
pub use login_attempts::SeaLoginAttempts;
pub use outbox::{CLAIM_POSTGRES, CLAIM_SQLITE, SeaOutbox};
pub use personal_token_repository::SeaPersonalTokens;
pub use pool_stats::{PoolStats, pool_stats};
pub use pruning::{BATCH_ROWS, PRUNE_LOCK_KEY, SeaStorePruner};
pub use schema_status::SeaSchemaStatus;
pub use second_factor_repository::SeaSecondFactors;
pub use session_repository::SeaSessionRepository;
pub use todo_repository::SeaTodoRepository;
pub use user_repository::SeaUserRepository;

/// The storage ports, all on `db` (the pool is shared, not copied).
#[must_use]
pub fn repositories(db: &DatabaseConnection) -> Repositories {
    Repositories {
        users: Arc::new(SeaUserRepository::new(db.clone())),
        sessions: Arc::new(SeaSessionRepository::new(db.clone())),
        todos: Arc::new(SeaTodoRepository::new(db.clone())),
        attempts: Arc::new(SeaLoginAttempts::new(db.clone())),
        probe: Arc::new(SeaDatabaseProbe::new(db.clone())),
        schema: Arc::new(SeaSchemaStatus::new(db.clone())),
        pruner: Arc::new(SeaStorePruner::new(db.clone())),
        account_tokens: Arc::new(SeaAccountTokens::new(db.clone())),
        outbox: Arc::new(SeaOutbox::new(db.clone())),
        personal_tokens: Arc::new(SeaPersonalTokens::new(db.clone())),
        second_factors: Arc::new(SeaSecondFactors::new(db.clone())),
    }
}
