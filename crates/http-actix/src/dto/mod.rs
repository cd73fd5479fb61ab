//! Request and response bodies: the wire format, separate from the domain's
//! types. Requests are validated with `garde` rules that delegate to the
//! domain's constructors, so each rule is written once.

mod auth;
mod rules;
mod todos;
mod users;

pub use auth::{LoginRequest, TokenResponse};
pub use todos::{CreateTodoRequest, TodoListResponse, TodoResponse, UpdateTodoRequest};
pub use users::{NewUserRequest, UpdateUserRequest, UserListResponse, UserResponse};
