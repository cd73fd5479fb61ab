//! The HTTP adapter: actix-web handlers ([`routes`]), their extractors,
//! DTOs and error envelope, the middleware, the OpenAPI document, the
//! per-request state ([`state::AppState`]), the HTTP metrics, and the
//! [`app`] factory that puts them together with the middleware stack.
//!
//! It knows the domain's use cases and ports, never a storage adapter or
//! how the process is configured: [`crate::startup`] hands it what it needs.

pub mod app;
pub mod client_addr;
pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod state;
