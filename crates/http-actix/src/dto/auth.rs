//! Login and token bodies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// The login response (sent with `Cache-Control: no-store`).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// An RS256 JWT; send it as `Authorization: Bearer <access_token>`.
    #[schema(examples("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"))]
    pub access_token: String,
    /// Always `bearer`.
    #[schema(value_type = String, examples("bearer"))]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(examples(86400))]
    pub expires_in: u64,
}
