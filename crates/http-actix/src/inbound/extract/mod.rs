//! Extractors that turn a raw request into validated values, answering every
//! failure with the error envelope.

mod client;
mod current_user;
mod path_id;
mod query;

pub mod body;
pub use body::{JsonBody, Patch, parse_json, parse_login_form};
pub use client::Client;
pub(crate) use current_user::bearer_token;
pub use current_user::{AuthenticatedUserId, Caller, CurrentUser};
pub use path_id::PathId;
pub use query::{ListQuery, PageQuery, parse_bool};
