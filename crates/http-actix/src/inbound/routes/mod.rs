//! Handlers, one module per resource. Each handler parses, calls one use
//! case, and shapes the response; errors flow through [`crate::inbound::error`].
//!
//! Each API handler carries its OpenAPI annotation (`#[utoipa::path]`), and
//! [`endpoints`] lists them all: the router and the OpenAPI document are both
//! built from that list (see [`endpoint`]). `docs` (the document and its
//! viewers) and `metrics` are served beside the API, not part of it.

pub mod account_pages;
pub mod auth;
pub mod docs;
pub mod endpoint;
pub mod health;
pub mod keys;
pub mod metrics;
mod paging;
pub mod personal_tokens;
pub mod recovery;
pub mod sessions;
pub mod tags;
pub mod todos;
pub mod users;

pub use endpoint::{Endpoint, register};

/// Every operation of the API, in the order the documentation lists them.
#[must_use]
pub fn endpoints() -> Vec<Endpoint> {
    [
        health::endpoints(),
        auth::endpoints(),
        sessions::endpoints(),
        personal_tokens::endpoints(),
        recovery::endpoints(),
        users::endpoints(),
        todos::endpoints(),
        keys::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
