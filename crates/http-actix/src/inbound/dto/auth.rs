//! Login, token, session and password bodies.

use chrono::{DateTime, Utc};
use domain::Session;
use domain::services::TokenPair;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// `POST /v1/auth/login`, as JSON or as an OAuth2 password form. The username
/// may be the email. No policy applies to the password here: it is compared.
/// As a form, the OAuth2 password grant's other fields (`grant_type`,
/// `scope`, `client_id`, `client_secret`) are accepted and ignored.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct LoginRequest {
    /// The username or the email, matched case-insensitively.
    #[garde(length(chars, min = 1, max = 320))]
    #[schema(min_length = 1, max_length = 320, examples("ada"))]
    pub username: String,
    #[garde(length(chars, min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, format = Password, examples("analytical-engine"))]
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The login and refresh response (sent with `Cache-Control: no-store`).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// An RS256 JWT; send it as `Authorization: Bearer <access_token>`.
    #[schema(examples("eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"))]
    pub access_token: String,
    /// Always `bearer`.
    #[schema(value_type = String, examples("bearer"))]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(examples(86400))]
    pub expires_in: u64,
    /// Opaque, URL-safe, single use: exchange it at `POST /v1/auth/refresh`
    /// for a new pair. Keep it secret.
    #[schema(
        min_length = 43,
        examples("mF3kq0sV9x2p7JcQe1uYtLw8ZbN4aR6dHg5iKo0PjSs")
    )]
    pub refresh_token: String,
    /// Seconds until the session, and so the refresh token, expires.
    #[schema(examples(2_592_000))]
    pub refresh_expires_in: u64,
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access.access_token.expose().to_owned(),
            token_type: "bearer",
            expires_in: pair.access.expires_in,
            refresh_token: pair.refresh_token.expose().to_owned(),
            refresh_expires_in: pair.refresh_expires_in,
        }
    }
}

/// `POST /v1/auth/refresh`. Unknown fields are ignored.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    #[garde(length(min = 1, max = 1024))]
    #[schema(
        min_length = 1,
        max_length = 1024,
        examples("mF3kq0sV9x2p7JcQe1uYtLw8ZbN4aR6dHg5iKo0PjSs")
    )]
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshRequest").finish_non_exhaustive()
    }
}

/// `POST /v1/auth/password`. Unknown fields (`user_id`, `session_id`,
/// `is_admin`, ...) are ignored: it always changes the caller's password.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct ChangePasswordRequest {
    /// Compared with the stored password, exactly.
    #[garde(length(chars, min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, format = Password, examples("analytical-engine"))]
    pub current_password: String,
    /// The registration rules apply: at least 8 characters, at most 72 bytes
    /// in UTF-8 (format `bcrypt-password`), no NUL.
    #[garde(custom(rules::password))]
    #[schema(
        min_length = 8,
        max_length = 72,
        format = "bcrypt-password",
        pattern = "^[^\\u0000]*$",
        examples("difference-engine-2")
    )]
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .finish_non_exhaustive()
    }
}

/// One of the caller's live sessions (a login and its refreshes).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    #[schema(minimum = 1, examples(12))]
    pub id: i64,
    /// When the login happened.
    pub created_at: DateTime<Utc>,
    /// The login or the last refresh.
    pub last_used_at: DateTime<Utc>,
    /// When its refresh token stops working, at the latest.
    pub expires_at: DateTime<Utc>,
    /// The `User-Agent` the login came with.
    #[schema(examples("Mozilla/5.0 (X11; Linux x86_64)"))]
    pub user_agent: Option<String>,
    /// The client address the login came from.
    #[schema(examples("203.0.113.9"))]
    pub ip: Option<String>,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

impl SessionResponse {
    #[must_use]
    pub fn new(session: Session, current: Option<domain::SessionId>) -> Self {
        Self {
            id: session.id.0,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            user_agent: session.client.user_agent,
            ip: session.client.ip,
            current: Some(session.id) == current,
        }
    }
}
