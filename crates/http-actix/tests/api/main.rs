//! Black-box HTTP tests: each test starts the real application on port 0
//! against its own fresh database and talks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod auth;
mod concurrency;
mod envelope;
mod health;
mod metrics;
mod openapi;
mod text;
mod todos;
mod tokens;
mod users;
