//! Black-box HTTP tests: each test starts the real application on port 0
//! against its own fresh database and talks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod auth;
mod concurrency;
mod envelope;
mod hardening;
mod health;
mod instances;
mod jwks;
mod metrics;
mod openapi;
mod sessions;
mod text;
mod throttling;
mod timing;
mod todos;
mod tokens;
mod users;
