//! Login and token bodies.

use serde::{Deserialize, Serialize};

/// `POST /v1/auth/login`, as JSON or as an OAuth2 password form. The username
/// may be the email. No policy applies to the password here: it is compared.
#[derive(Deserialize, garde::Validate)]
pub struct LoginRequest {
    #[garde(length(chars, min = 1, max = 320))]
    pub username: String,
    #[garde(length(chars, min = 1, max = 1000))]
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The login response.
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}
