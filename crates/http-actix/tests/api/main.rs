//! Black-box HTTP tests: each test starts the real application on port 0
//! over its own fresh store and talks HTTP to it. `TEST_BACKEND=memory`,
//! `sqlite` or `postgres` picks the adapters (see `helpers::Store`); the
//! same tests run, unchanged, on each. What only a database has
//! (migrations at start-up, pool gauges) is tested in `tests/database.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod auth;
mod concurrency;
mod cursors;
mod envelope;
mod failures;
mod hardening;
mod health;
mod instances;
mod jwks;
mod mail_delivery;
mod metrics;
mod openapi;
mod personal_tokens;
mod pruning;
mod recovery;
mod sessions;
mod text;
mod throttling;
mod timing;
mod todos;
mod tokens;
mod users;
mod verification;
