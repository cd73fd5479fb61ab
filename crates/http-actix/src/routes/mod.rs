//! Handlers, one module per resource. Each handler parses, calls one use
//! case, and shapes the response; errors flow through [`crate::error`].

pub mod auth;
pub mod health;
pub mod todos;
pub mod users;
