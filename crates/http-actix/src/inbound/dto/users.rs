//! User bodies.

use chrono::{DateTime, Utc};
use domain::services::Registration;
use domain::{Email, FullName, Password, User, UserPatch, Username};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, parse};
use crate::inbound::error::ApiError;

/// `POST /v1/auth/register` and `POST /v1/users`. `is_admin` is honoured only
/// on the admin endpoint; any other unknown field is ignored.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct NewUserRequest {
    /// A well-formed address, unique case-insensitively.
    #[garde(custom(rules::email))]
    #[schema(format = "email", max_length = 254, examples("ada@example.com"))]
    pub email: String,
    /// ASCII letters, digits and underscores; unique case-insensitively.
    #[garde(custom(rules::username))]
    #[schema(
        min_length = 3,
        max_length = 100,
        pattern = "^[A-Za-z0-9_]+$",
        examples("ada")
    )]
    pub username: String,
    #[garde(custom(rules::full_name))]
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000]*$",
        examples("Ada Lovelace")
    )]
    pub full_name: String,
    /// At least 8 characters and at most 72 bytes in UTF-8 (bcrypt's limit:
    /// longer passwords are refused, never truncated); no NUL. The format
    /// `bcrypt-password` names that byte limit, which JSON Schema cannot.
    #[garde(custom(rules::password))]
    #[schema(
        min_length = 8,
        max_length = 72,
        format = "bcrypt-password",
        pattern = "^[^\\u0000]*$",
        examples("analytical-engine")
    )]
    pub password: String,
    /// `POST /v1/users` only (admins creating admins); ignored on register.
    #[garde(skip)]
    #[serde(default)]
    #[schema(examples(false))]
    pub is_admin: Option<bool>,
}

impl std::fmt::Debug for NewUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserRequest")
            .field("email", &self.email)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl NewUserRequest {
    /// # Errors
    /// 422 if a field breaks a domain rule.
    pub fn into_registration(self) -> Result<Registration, ApiError> {
        Ok(Registration {
            email: parse("email", Email::parse(self.email))?,
            username: parse("username", Username::parse(self.username))?,
            full_name: parse("full_name", FullName::parse(self.full_name))?,
            password: parse("password", Password::parse(self.password))?,
        })
    }
}

/// `PATCH /v1/users/{id}`. A `null` leaves the field unchanged.
#[derive(Debug, Deserialize, garde::Validate, ToSchema)]
pub struct UpdateUserRequest {
    #[garde(inner(custom(rules::email)))]
    #[serde(default)]
    #[schema(format = "email", max_length = 254, examples("ada@example.org"))]
    pub email: Option<String>,
    #[garde(inner(custom(rules::username)))]
    #[serde(default)]
    #[schema(
        min_length = 3,
        max_length = 100,
        pattern = "^[A-Za-z0-9_]+$",
        examples("countess")
    )]
    pub username: Option<String>,
    #[garde(inner(custom(rules::full_name)))]
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000]*$",
        examples("Augusta Ada King")
    )]
    pub full_name: Option<String>,
    /// Admins only (403 for anyone else).
    #[garde(skip)]
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Admins only (403 for anyone else).
    #[garde(skip)]
    #[serde(default)]
    pub is_admin: Option<bool>,
}

impl UpdateUserRequest {
    /// # Errors
    /// 422 if a field breaks a domain rule.
    pub fn into_patch(self) -> Result<UserPatch, ApiError> {
        Ok(UserPatch {
            email: self
                .email
                .map(|v| parse("email", Email::parse(v)))
                .transpose()?,
            username: self
                .username
                .map(|v| parse("username", Username::parse(v)))
                .transpose()?,
            full_name: self
                .full_name
                .map(|v| parse("full_name", FullName::parse(v)))
                .transpose()?,
            is_active: self.is_active,
            is_admin: self.is_admin,
        })
    }
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    #[schema(minimum = 1, examples(1))]
    pub id: i64,
    #[schema(format = "email", examples("ada@example.com"))]
    pub email: String,
    #[schema(examples("ada"))]
    pub username: String,
    #[schema(examples("Ada Lovelace"))]
    pub full_name: String,
    pub is_active: bool,
    pub is_admin: bool,
    /// The user proved `email` is theirs by the link mailed to it; false
    /// again after every change of address.
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id.0,
            email: user.email.as_str().to_owned(),
            username: user.username.as_str().to_owned(),
            full_name: user.full_name.as_str().to_owned(),
            is_active: user.is_active,
            is_admin: user.is_admin,
            email_verified: user.email_verified,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `GET /v1/users`: one page, by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserListResponse {
    pub users: Vec<UserResponse>,
    /// Users in all pages.
    #[schema(examples(1))]
    pub total: u64,
    #[schema(minimum = 1, examples(1))]
    pub page: u64,
    #[schema(minimum = 1, maximum = 100, examples(10))]
    pub page_size: u64,
    /// The next page's `cursor` (opaque): send it back as `?cursor=` for the
    /// users after this page's last one, by position rather than by offset.
    /// `null` on the last page.
    #[schema(examples("AQAAAAAAAAABAAAAAAAAAAIAAAAAAAAACgIAAAAAAAAACmU3cMSD7L7b1lxAqh0WkTA"))]
    pub next_cursor: Option<String>,
}
