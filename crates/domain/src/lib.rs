//! The pure core of the service: users and todos, the rules they obey, the ports
//! (traits) through which the outside world is reached, and the use cases.
//!
//! This crate knows nothing of HTTP, SQL, JWT libraries or bcrypt. Adapters in
//! `infra-sea` and `auth` implement the ports in [`ports`]; `http-actix` drives
//! the services in [`services`] and is the only place where everything meets.

pub mod account;
pub mod credential;
pub mod error;
pub mod mail;
pub mod mfa;
pub mod pagination;
pub mod password;
pub mod personal_token;
pub mod ports;
pub mod services;
pub mod session;
pub mod text;
pub mod time;
pub mod todo;
pub mod user;

pub use account::{
    AccountToken, AccountTokenHash, AccountTokenId, AccountTokenKind, LiveAccountToken,
    NewAccountToken,
};
pub use credential::{Access, Credential, LiveCredential};
pub use error::{ConflictField, RepositoryError};
pub use mail::{ClaimedMail, MailMessage, OutboxId, OutboxStats, mask_address};
pub use mfa::{
    RecoveryCode, RecoveryCodeHash, SealedSecret, StoredFactor, TotpProvisioning, TotpSecret,
    TotpStep,
};
pub use pagination::{
    CursorError, CursorList, ListCursor, ListRequest, Listed, Page, PageRequest, TodoPosition,
    Window,
};
pub use password::{Password, PasswordHash};
pub use personal_token::{
    NewPersonalToken, PersonalToken, PersonalTokenHash, PersonalTokenId, PersonalTokenSecret,
    TokenName, TokenScope, TokenScopes,
};
pub use session::{
    ClientInfo, NewSession, RefreshToken, RefreshTokenHash, Session, SessionId, StoredRefreshToken,
};
pub use todo::{
    NewTodo, Priority, Todo, TodoChanges, TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle,
};
pub use user::{
    Email, FullName, NewUser, User, UserChanges, UserId, UserPatch, Username, fold_case,
};
