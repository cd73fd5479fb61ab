//! The use cases. Each service holds the ports it needs and enforces the rules
//! (ownership, roles, active accounts, sessions, throttling); callers pass
//! validated domain values.

mod actor;
mod auth_service;
mod mail_relay;
mod personal_token_service;
mod prune_service;
mod recovery_service;
mod session_service;
mod throttle;
mod todo_service;
mod user_service;

#[cfg(test)]
mod tests;

pub use actor::Actor;
pub use auth_service::{
    AuthPolicy, AuthPorts, AuthService, AuthenticateError, Authenticated, LoginError, RefreshError,
    RegisterError, Registration, TokenPair,
};
pub use mail_relay::{Delivery, MailRelay, Outcome, RelayPolicy};
pub use personal_token_service::{
    MadeToken, PasswordTokenRevocation, PersonalTokenError, PersonalTokenPolicy,
    PersonalTokenService, TokenCaller, TokenRequest,
};
pub use prune_service::{PrunePolicy, PruneService};
pub use recovery_service::{
    AccountMailPorts, RecoveryError, RecoveryPolicy, RecoveryPorts, RecoveryService,
};
pub use session_service::{SessionError, SessionPorts, SessionService};
pub use throttle::{RetryAfter, ThrottlePolicy};
pub use todo_service::{TodoError, TodoService};
pub use user_service::{CreateAdminError, UserError, UserService};
