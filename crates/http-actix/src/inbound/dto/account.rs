//! Account recovery bodies: forgot-password, reset, and the answer that
//! says a request was taken.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// `POST /v1/auth/password/forgot`. Unknown fields are ignored.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct ForgotPasswordRequest {
    /// The account's address. Any well-formed address is accepted, known or
    /// not: the answer is the same.
    #[garde(custom(rules::email))]
    #[schema(format = "email", max_length = 254, examples("ada@example.com"))]
    pub email: String,
}

impl std::fmt::Debug for ForgotPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgotPasswordRequest")
            .field("email", &domain::mask_address(&self.email))
            .finish()
    }
}

/// `POST /v1/auth/password/reset`. Unknown fields are ignored.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct ResetPasswordRequest {
    /// The token from the reset link (the `token` query parameter).
    #[garde(length(min = 1, max = 1024))]
    #[schema(
        min_length = 1,
        max_length = 1024,
        examples("q3V7rX0bN9mKc2LwT8sYhA5eGdJ4uPfZ1iO6nRtE0kQ")
    )]
    pub token: String,
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

impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetPasswordRequest")
            .finish_non_exhaustive()
    }
}

/// A request taken for processing (202): `{"status": "accepted"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedResponse {
    /// Always `accepted`.
    #[schema(value_type = String, examples("accepted"))]
    pub status: &'static str,
}

impl AcceptedResponse {
    pub const ACCEPTED: Self = Self { status: "accepted" };
}

/// `POST /v1/auth/verify-email`. Unknown fields are ignored.
#[derive(Deserialize, garde::Validate, ToSchema)]
pub struct VerifyEmailRequest {
    /// The token from the verification link (the `token` query parameter).
    #[garde(length(min = 1, max = 1024))]
    #[schema(
        min_length = 1,
        max_length = 1024,
        examples("Zk2Qw8Lr5TnV1bXc7YhJ0sDf4GpA9mEu3KiO6aWzR2t")
    )]
    pub token: String,
}

impl std::fmt::Debug for VerifyEmailRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyEmailRequest").finish_non_exhaustive()
    }
}
