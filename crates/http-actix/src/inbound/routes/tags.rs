//! The OpenAPI tags that group the operations (described in
//! [`crate::inbound::openapi::ApiDoc`]).

pub const HEALTH: &str = "health";
/// Authentication and the caller's sessions.
pub const AUTH: &str = "auth";
/// Personal access tokens.
pub const TOKENS: &str = "tokens";
pub const USERS: &str = "users";
pub const TODOS: &str = "todos";
pub const KEYS: &str = "keys";
