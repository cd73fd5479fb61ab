//! SeaORM adapters for the domain's ports, on PostgreSQL or SQLite.
//!
//! - [`connect`] opens the pool from [`DatabaseSettings`]; [`run_migrations`]
//!   applies the `migration` crate's schema.
//! - [`SeaUserRepository`], [`SeaTodoRepository`] and [`SeaDatabaseProbe`]
//!   implement `domain::ports::{UserRepository, TodoRepository, DatabaseProbe}`.
//! - Every database error becomes a `domain::RepositoryError` in one place
//!   (the private `error` module); no `sea_orm::DbErr` leaves this crate.
//! - With the `testing` feature, [`testing::TestDatabase`] gives each test a
//!   fresh, migrated database.

mod connection;
mod database_probe;
pub mod entity;
mod error;
mod todo_repository;
mod user_repository;

#[cfg(feature = "testing")]
pub mod testing;

pub use connection::{DatabaseSettings, connect, run_migrations};
pub use database_probe::SeaDatabaseProbe;
pub use todo_repository::SeaTodoRepository;
pub use user_repository::SeaUserRepository;
