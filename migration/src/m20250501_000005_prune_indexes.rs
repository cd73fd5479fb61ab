//! Indexes for pruning (`infra_sea::SeaStorePruner`): without them every
//! batch of a pass scans the whole `sessions` or `login_attempts` table to
//! find the rows that ended, or aged, before its instant.
//!
//! - `sessions_expires_idx` on `expires_at`: the expired sessions;
//! - `sessions_revoked_idx` on `revoked_at`, partial (`WHERE revoked_at IS
//!   NOT NULL`): the revoked ones, without indexing the live majority;
//! - `login_attempts_occurred_idx` on `occurred_at`: events past every
//!   window, of any key (the `(key, occurred_at)` index serves one key).
//!
//! The same SQL on both backends (SQLite has partial indexes too).

use sea_orm_migration::prelude::*;

use crate::backend_sql::run_per_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE INDEX sessions_expires_idx ON sessions (expires_at)",
    "CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL",
    "CREATE INDEX login_attempts_occurred_idx ON login_attempts (occurred_at)",
];

const DOWN: &[&str] = &[
    "DROP INDEX login_attempts_occurred_idx",
    "DROP INDEX sessions_revoked_idx",
    "DROP INDEX sessions_expires_idx",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_per_backend(manager, UP, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_per_backend(manager, DOWN, DOWN).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
