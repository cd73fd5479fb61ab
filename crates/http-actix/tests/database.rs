//! HTTP tests of what only the SeaORM storage has: migrations at start-up
//! (`AUTO_MIGRATE`, the migration lock, a newer build's migrations) and the
//! connection-pool gauges. Each test starts the real application on its own
//! fresh database (PostgreSQL when `TEST_DATABASE_URL` names one, else
//! SQLite). Everything else the API does is tested by `tests/api`, on every
//! backend (`TEST_BACKEND`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The harness of `tests/api`; this binary uses only part of it.
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[path = "database/migrations.rs"]
mod migrations;
#[path = "database/pool.rs"]
mod pool;
