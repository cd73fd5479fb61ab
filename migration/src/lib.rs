//! Versioned schema migrations for the service's database (PostgreSQL or SQLite).
//!
//! [`Migrator`] lists every migration in order. The application runs
//! `Migrator::up` at start-up; the `migration` binary (see `main.rs`) offers
//! SeaORM's migration CLI (`up`, `down`, `status`, `fresh`, ...) for operators.

pub use sea_orm_migration::prelude::*;

mod backend_sql;
mod m20250101_000001_create_users_and_todos;
mod m20250201_000002_sessions_and_login_attempts;

/// Every migration of the schema, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_users_and_todos::Migration),
            Box::new(m20250201_000002_sessions_and_login_attempts::Migration),
        ]
    }
}
