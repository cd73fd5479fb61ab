//! User bodies.

use chrono::{DateTime, Utc};
use domain::services::Registration;
use domain::{Email, FullName, Password, User, UserPatch, Username};
use serde::{Deserialize, Serialize};

use super::rules::{self, parse};
use crate::error::ApiError;

/// `POST /v1/auth/register` and `POST /v1/users`. `is_admin` is honoured only
/// on the admin endpoint; any other unknown field is ignored.
#[derive(Deserialize, garde::Validate)]
pub struct NewUserRequest {
    #[garde(custom(rules::email))]
    pub email: String,
    #[garde(custom(rules::username))]
    pub username: String,
    #[garde(custom(rules::full_name))]
    pub full_name: String,
    #[garde(custom(rules::password))]
    pub password: String,
    #[garde(skip)]
    #[serde(default)]
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
#[derive(Debug, Deserialize, garde::Validate)]
pub struct UpdateUserRequest {
    #[garde(inner(custom(rules::email)))]
    #[serde(default)]
    pub email: Option<String>,
    #[garde(inner(custom(rules::username)))]
    #[serde(default)]
    pub username: Option<String>,
    #[garde(inner(custom(rules::full_name)))]
    #[serde(default)]
    pub full_name: Option<String>,
    #[garde(skip)]
    #[serde(default)]
    pub is_active: Option<bool>,
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
#[derive(Debug, Serialize)]
pub struct UserResponse {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub full_name: String,
    pub is_active: bool,
    pub is_admin: bool,
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
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `GET /v1/users`.
#[derive(Debug, Serialize)]
pub struct UserListResponse {
    pub users: Vec<UserResponse>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}
