//! The HTTP adapter and the composition root, in two parts:
//!
//! - [`inbound`]: the HTTP adapter — actix-web handlers, extractors, DTOs,
//!   the error envelope, middleware, the OpenAPI document, the HTTP metrics
//!   and the `App` factory. It sees the domain's use cases and ports only,
//!   never SeaORM nor the configuration.
//! - [`startup`]: everything that starts the process — configuration, the
//!   `api` command line, telemetry, listener, shutdown, and
//!   [`Application`], which takes its driven adapters ([`Adapters`]: a
//!   [`Storage`] and a clock) and wires them into the use cases and the
//!   HTTP adapter. [`Application::build`] opens the SeaORM storage the
//!   settings name; [`Application::build_with`] takes any storage.
//!
//! This is the only crate where the domain, the storage adapters and the
//! auth adapters meet.

pub mod inbound;
pub mod startup;

pub use inbound::{dto, error, extract, openapi, routes};
pub use startup::application::Application;
pub use startup::config::Settings;
pub use startup::storage::{Adapters, PoolStats, Storage};
pub use startup::{cli, config, telemetry};
