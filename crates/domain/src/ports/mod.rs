//! The ports: what the use cases need from the outside world. Adapters in other
//! crates implement them; the use cases see only these traits.

mod database_probe;
mod password_hasher;
mod schema_status;
mod todo_repository;
mod token_service;
mod user_repository;

pub use database_probe::DatabaseProbe;
pub use password_hasher::{HashError, PasswordHasher};
pub use schema_status::SchemaStatus;
pub use todo_repository::TodoRepository;
pub use token_service::{AccessToken, IssuedToken, TokenError, TokenService};
pub use user_repository::UserRepository;

#[cfg(test)]
pub use database_probe::MockDatabaseProbe;
#[cfg(test)]
pub use password_hasher::MockPasswordHasher;
#[cfg(test)]
pub use schema_status::MockSchemaStatus;
#[cfg(test)]
pub use todo_repository::MockTodoRepository;
#[cfg(test)]
pub use token_service::MockTokenService;
#[cfg(test)]
pub use user_repository::MockUserRepository;
