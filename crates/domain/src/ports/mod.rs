//! The ports: what the use cases need from the outside world. Adapters in other
//! crates implement them; the use cases see only these traits.

mod account_tokens;
mod clock;
mod cursor_seal;
mod database_probe;
mod login_attempts;
mod mail_composer;
mod mailer;
mod outbox;
mod password_hasher;
mod personal_tokens;
mod refresh_tokens;
mod repositories;
mod schema_status;
mod second_factor;
mod second_factor_repository;
mod session_repository;
mod store_pruner;
mod todo_repository;
mod token_service;
mod user_repository;

pub use account_tokens::{AccountTokenRepository, OneTimeTokens};
pub use clock::Clock;
pub use cursor_seal::CursorSeal;
pub use database_probe::DatabaseProbe;
pub use login_attempts::{LoginAttempts, ThrottleKey};
pub use mail_composer::{AccountMail, MailComposer};
pub use mailer::{MailError, Mailer};
pub use outbox::Outbox;
pub use password_hasher::{HashError, PasswordHasher};
pub use personal_tokens::{PersonalTokenRepository, PersonalTokenSecrets};
pub use refresh_tokens::RefreshTokens;
pub use repositories::Repositories;
pub use schema_status::SchemaStatus;
pub use second_factor::{RecoveryCodes, SealError, SecretSealer, Totp};
pub use second_factor_repository::SecondFactorRepository;
pub use session_repository::SessionRepository;
pub use store_pruner::{PruneOutcome, PruneRules, Pruned, StorePruner};
pub use todo_repository::TodoRepository;
pub use token_service::{
    AccessClaims, AccessToken, IssuedToken, TokenError, TokenService, VerifiedAccess,
};
pub use user_repository::UserRepository;

#[cfg(any(test, feature = "mocks"))]
pub use account_tokens::{MockAccountTokenRepository, MockOneTimeTokens};
#[cfg(any(test, feature = "mocks"))]
pub use cursor_seal::MockCursorSeal;
#[cfg(any(test, feature = "mocks"))]
pub use database_probe::MockDatabaseProbe;
#[cfg(any(test, feature = "mocks"))]
pub use login_attempts::MockLoginAttempts;
#[cfg(any(test, feature = "mocks"))]
pub use mail_composer::MockMailComposer;
#[cfg(any(test, feature = "mocks"))]
pub use mailer::MockMailer;
#[cfg(any(test, feature = "mocks"))]
pub use outbox::MockOutbox;
#[cfg(any(test, feature = "mocks"))]
pub use password_hasher::MockPasswordHasher;
#[cfg(any(test, feature = "mocks"))]
pub use personal_tokens::{MockPersonalTokenRepository, MockPersonalTokenSecrets};
#[cfg(any(test, feature = "mocks"))]
pub use refresh_tokens::MockRefreshTokens;
#[cfg(any(test, feature = "mocks"))]
pub use schema_status::MockSchemaStatus;
#[cfg(any(test, feature = "mocks"))]
pub use second_factor::{MockRecoveryCodes, MockSecretSealer, MockTotp};
#[cfg(any(test, feature = "mocks"))]
pub use second_factor_repository::MockSecondFactorRepository;
#[cfg(any(test, feature = "mocks"))]
pub use session_repository::MockSessionRepository;
#[cfg(any(test, feature = "mocks"))]
pub use store_pruner::MockStorePruner;
#[cfg(any(test, feature = "mocks"))]
pub use todo_repository::MockTodoRepository;
#[cfg(any(test, feature = "mocks"))]
pub use token_service::MockTokenService;
#[cfg(any(test, feature = "mocks"))]
pub use user_repository::MockUserRepository;
