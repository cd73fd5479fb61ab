//! The migration CLI: `cargo run -p migration -- up` (or `down`, `status`,
//! `fresh`, ...), reading the database URL from `DATABASE_URL` or `-u`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
