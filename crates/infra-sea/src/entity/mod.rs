//! SeaORM entities: the rows of the tables created by the `migration` crate,
//! and their conversion into domain types.

pub mod account_token;
pub mod login_attempt;
pub mod outbox;
pub mod personal_access_token;
pub mod recovery_code;
pub mod refresh_token;
pub mod session;
pub mod todo;
pub mod todo_count;
pub mod totp_factor;
pub mod user;
pub mod user_count;
