//! The HTTP adapter and composition root: actix-web handlers, extractors,
//! the error envelope, middleware, configuration and the `api` command line.
//! This is the only crate where the domain, the SeaORM adapters and the auth
//! adapters meet.

pub mod app;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod config_report;
pub mod db_pools;
pub mod dto;
pub mod error;
pub mod extract;
pub mod listener;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod sea_storage;
pub mod shutdown;
pub mod state;
pub mod storage;
pub mod telemetry;

pub use app::Application;
pub use config::Settings;
pub use storage::{Adapters, PoolStats, Storage};
