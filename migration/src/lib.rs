//! Versioned schema migrations for the service's database (PostgreSQL or SQLite).
//!
//! [`Migrator`] lists every migration in order. The application (with
//! `AUTO_MIGRATE`) and `api migrate ...` run it through [`up_locked`] and its
//! siblings, which serialise concurrent migrators of one database (see the
//! [`lock`] module); the `migration` binary (see `main.rs`) offers SeaORM's
//! migration CLI (`up`, `down`, `status`, `fresh`, ...) without that lock.
//! [`schema_state`] says what is pending without refusing a database that a
//! newer build has migrated further (see the [`applied`] module).

pub use sea_orm_migration::prelude::*;

pub mod applied;
mod backend_sql;
pub mod lock;
mod m20250101_000001_create_users_and_todos;
mod m20250201_000002_sessions_and_login_attempts;
mod m20250301_000003_case_folded_user_keys;
mod m20250401_000004_row_counts;
mod m20250501_000005_prune_indexes;
mod m20250601_000006_account_tokens_and_outbox;
mod m20250701_000007_email_verified;
mod m20250801_000008_personal_access_tokens;
mod m20250901_000010_mfa;
pub mod report;

pub use applied::{SchemaState, schema_state};
pub use lock::{MIGRATION_LOCK_KEY, down_locked, fresh_locked, status_locked, up_locked};

/// Every migration of the schema, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_users_and_todos::Migration),
            Box::new(m20250201_000002_sessions_and_login_attempts::Migration),
            Box::new(m20250301_000003_case_folded_user_keys::Migration),
            Box::new(m20250401_000004_row_counts::Migration),
            Box::new(m20250501_000005_prune_indexes::Migration),
            Box::new(m20250601_000006_account_tokens_and_outbox::Migration),
            Box::new(m20250701_000007_email_verified::Migration),
            Box::new(m20250801_000008_personal_access_tokens::Migration),
            Box::new(m20250901_000010_mfa::Migration),
        ]
    }
}
