//! The use cases. Each service holds the ports it needs and enforces the rules
//! (ownership, roles, active accounts); callers pass validated domain values.

mod actor;
mod auth_service;
mod todo_service;
mod user_service;

#[cfg(test)]
mod tests;

pub use actor::Actor;
pub use auth_service::{AuthService, AuthenticateError, LoginError, RegisterError, Registration};
pub use todo_service::{TodoError, TodoService};
pub use user_service::{CreateAdminError, UserError, UserService};
