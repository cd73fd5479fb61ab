//! Request and response bodies: the wire format, separate from the domain's
//! types, each deriving its OpenAPI schema (`utoipa::ToSchema`). Requests
//! are validated with `garde` rules that delegate to the domain's
//! constructors, so each rule is written once.

mod account;
mod auth;
mod health;
mod keys;
mod personal_tokens;
pub(crate) mod rules;
mod todos;
mod users;

pub use account::{
    AcceptedResponse, ForgotPasswordRequest, ResetPasswordRequest, VerifyEmailRequest,
};
pub use auth::{
    ChangePasswordRequest, LoginRequest, RefreshRequest, SessionResponse, TokenResponse,
};
pub use health::{
    DatabaseHealth, DatabaseStatus, HealthResponse, HealthStatus, LiveStatus, LivenessResponse,
    NotReadyResponse, NotReadyStatus, ReadinessResponse, ReadyStatus, UnhealthyResponse,
};
pub use keys::{Jwk, JwksResponse};
pub use personal_tokens::{CreateTokenRequest, CreatedTokenResponse, TokenInfoResponse};
pub use todos::{CreateTodoRequest, TodoListResponse, TodoResponse, UpdateTodoRequest};
pub use users::{NewUserRequest, UpdateUserRequest, UserListResponse, UserResponse};
