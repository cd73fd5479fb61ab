//! `users.email_verified`: whether the user proved their address by a
//! verification link (docs/CONTRACT.md, "Accounts: recovery and
//! verification"). Every existing user starts unverified, as a new one does:
//! nobody has proved an address yet. A change of email sets it false again
//! (in the same UPDATE as the change, `infra_sea::SeaUserRepository`).
//!
//! The same SQL on both backends (SQLite drops a column since 3.35).

use sea_orm_migration::prelude::*;

use crate::backend_sql::run_per_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &["ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE"];

const DOWN: &[&str] = &["ALTER TABLE users DROP COLUMN email_verified"];

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
