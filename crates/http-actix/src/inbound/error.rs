//! The one place where errors become HTTP responses, all in one envelope:
//!
//! ```json
//! {"error": {"status_code": 404, "message": "...", "type": "client_error",
//!            "details": {...}}, "request_id": "..."}
//! ```
//!
//! Domain errors convert into [`ApiError`] here; internal causes are logged
//! with the request id and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::services::{
    AuthenticateError, LoginError, PersonalTokenError, RecoveryError, RefreshError, RegisterError,
    RetryAfter, SessionError, TodoError, UserError,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::inbound::request_id;

/// The `Retry-After` of every 503: the database is usually back (or a pool
/// connection free) within a second, and clients should not wait longer.
pub const UNAVAILABLE_RETRY_AFTER: (header::HeaderName, HeaderValue) =
    (header::RETRY_AFTER, HeaderValue::from_static("1"));
/// One entry of `details.validation_errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The refused field (`body` for the document as a whole).
    #[schema(examples("email"))]
    pub field: String,
    #[schema(examples("value is not a valid email address"))]
    pub message: String,
    /// `value_error`, `missing`, `type_error`, `json_invalid`,
    /// `int_parsing` or `bool_parsing`.
    #[serde(rename = "type")]
    #[schema(examples("value_error"))]
    pub kind: String,
}

/// The body of every 4xx and 5xx response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "error": {"status_code": 404, "message": "Todo not found", "type": "client_error"},
    "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"
})))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
    /// The same value as the `X-Request-ID` response header.
    pub request_id: String,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The HTTP status code, repeated.
    #[schema(minimum = 400, maximum = 599, examples(404))]
    pub status_code: u16,
    /// For people; 5xx messages never carry internal details.
    #[schema(examples("Todo not found"))]
    pub message: String,
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    /// Present on validation errors (422).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = ErrorDetails)]
    pub details: Option<ErrorDetails>,
}

/// Whose fault: the client's (4xx) or the server's (5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    ClientError,
    ServerError,
}

/// Machine-readable details of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetails {
    pub validation_errors: Vec<FieldError>,
}

/// The shape of a 422 body, for the API documentation: the envelope whose
/// `details.validation_errors` names every refused field.
#[derive(ToSchema)]
#[schema(examples(json!({
    "error": {
        "status_code": 422,
        "message": "Validation error",
        "type": "client_error",
        "details": {"validation_errors": [
            {"field": "email", "message": "value is not a valid email address", "type": "value_error"}
        ]}
    },
    "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"
})))]
pub struct ValidationErrorEnvelope {
    pub error: ValidationErrorBody,
    pub request_id: String,
}

/// The error of a 422: `details` is always present.
#[derive(ToSchema)]
pub struct ValidationErrorBody {
    #[schema(minimum = 422, maximum = 422, examples(422))]
    pub status_code: u16,
    #[schema(examples("Validation error"))]
    pub message: String,
    #[schema(rename = "type")]
    pub kind: ErrorKind,
    pub details: ErrorDetails,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        message: impl Into<String>,
        kind: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            kind: kind.into(),
        }
    }
}

/// Every error the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Validation error")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("Request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// A request body sent with a `Content-Encoding` other than `identity`
    /// (see [`crate::inbound::middleware::content_coding`]).
    #[error("Content-Encoding is not supported: send the body uncompressed")]
    UnsupportedContentEncoding,
    /// Throttled: answered with `Retry-After: <retry_after>`.
    #[error("Too many attempts; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// The body or the handler took longer than `REQUEST_TIMEOUT_SECONDS`.
    #[error("Request timed out")]
    RequestTimeout,
    /// Any other status actix produced on its own (kept with its reason).
    #[error("{0}")]
    Status(StatusCode),
    #[error("Service temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("Internal server error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn validation(
        field: impl Into<String>,
        message: impl Into<String>,
        kind: impl Into<String>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, message, kind)])
    }

    /// A refused `cursor` query parameter: 422 naming it, saying why.
    fn invalid_cursor(error: domain::CursorError) -> Self {
        Self::validation("cursor", error.to_string(), "value_error")
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The envelope for this error, naming `request_id`.
    #[must_use]
    pub fn body(&self, request_id: &str) -> ErrorEnvelope {
        let status = self.status_code();
        ErrorEnvelope {
            error: ErrorBody {
                status_code: status.as_u16(),
                message: self.to_string(),
                kind: if status.is_server_error() {
                    ErrorKind::ServerError
                } else {
                    ErrorKind::ClientError
                },
                details: match self {
                    Self::Validation(errors) => Some(ErrorDetails {
                        validation_errors: errors.clone(),
                    }),
                    _ => None,
                },
            },
            request_id: request_id.to_owned(),
        }
    }

    /// [`ApiError::body`] as a JSON value.
    #[must_use]
    pub fn envelope(&self, request_id: &str) -> serde_json::Value {
        // Plain structs of strings and numbers always serialize.
        serde_json::to_value(self.body(request_id)).unwrap_or_default()
    }

    /// The response for this error with an explicit request id (for code that
    /// runs outside the request's task-local scope).
    #[must_use]
    pub fn response_for(&self, request_id: &str) -> HttpResponse {
        match self {
            Self::Internal(cause) => {
                tracing::error!(request_id, error = format!("{cause:#}"), "internal error");
            }
            Self::Unavailable(cause) => {
                tracing::warn!(
                    request_id,
                    error = format!("{cause:#}"),
                    "dependency unavailable"
                );
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::Unavailable(_) => {
                response.insert_header(UNAVAILABLE_RETRY_AFTER);
            }
            Self::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::RequestTimeout => {
                // Whatever of the body is still coming is not read: close.
                response.force_close();
            }
            Self::UnsupportedContentEncoding => {
                // RFC 9110 §15.5.16: name the codings that are accepted. The
                // body was never read, so the connection cannot be reused.
                response.insert_header((
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_static("identity"),
                ));
                response.force_close();
            }
            _ => {}
        }
        response.json(self.body(request_id))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) | Self::UnsupportedContentEncoding => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Status(status) => *status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.response_for(&request_id::current())
    }
}

pub const NOT_AUTHENTICATED: &str = "Not authenticated";
pub const INVALID_CREDENTIALS: &str = "Could not validate credentials";
pub const NOT_ENOUGH_PERMISSIONS: &str = "Not enough permissions";
pub const INCORRECT_LOGIN: &str = "Incorrect username or password";
pub const INVALID_REFRESH_TOKEN: &str = "Invalid refresh token";
pub const INCORRECT_PASSWORD: &str = "Incorrect password";
pub const SESSION_NOT_FOUND: &str = "Session not found";
pub const INVALID_ACCOUNT_TOKEN: &str = "Invalid or expired token";
/// A personal access token on an endpoint it may not reach.
pub const PERSONAL_TOKEN_FORBIDDEN: &str = "A personal access token cannot reach this endpoint";
/// A personal access token without the scope an endpoint needs.
pub const PERSONAL_TOKEN_SCOPE: &str = "The personal access token lacks the scope for this request";

impl ApiError {
    /// A throttle decision: logged (never with a password or a token) and
    /// answered 429 with `Retry-After`. `what` names the limit hit.
    fn throttled(what: &'static str, wait: RetryAfter) -> Self {
        let retry_after = wait.seconds();
        tracing::info!(
            request_id = %request_id::current(),
            throttle = what,
            retry_after_seconds = retry_after,
            "request throttled"
        );
        Self::TooManyRequests { retry_after }
    }
}

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::Conflict(field) => Self::Conflict(format!(
                "A user with this {} already exists",
                field.as_str()
            )),
            RegisterError::Throttled(wait) => Self::throttled("registrations per address", wait),
            RegisterError::Unavailable(e) => Self::Unavailable(e),
            RegisterError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::InvalidCredentials => Self::Unauthorized(INCORRECT_LOGIN),
            LoginError::Inactive => Self::Unauthorized("Inactive user"),
            LoginError::EmailNotVerified => Self::Forbidden("Email address not verified"),
            // The domain does not say which of the two limits was hit.
            LoginError::Throttled(wait) => {
                Self::throttled("failed logins per account or per address", wait)
            }
            LoginError::Unavailable(e) => Self::Unavailable(e),
            LoginError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<AuthenticateError> for ApiError {
    fn from(error: AuthenticateError) -> Self {
        match error {
            AuthenticateError::InvalidToken => Self::Unauthorized(INVALID_CREDENTIALS),
            AuthenticateError::Unavailable(e) => Self::Unavailable(e),
            AuthenticateError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::Invalid => Self::Unauthorized(INVALID_REFRESH_TOKEN),
            RefreshError::Reused(session) => {
                // Never the token itself: the session id says enough.
                tracing::warn!(
                    request_id = %request_id::current(),
                    session_id = session.0,
                    "a spent refresh token was presented after the grace window; session revoked"
                );
                Self::Unauthorized(INVALID_REFRESH_TOKEN)
            }
            RefreshError::Unavailable(e) => Self::Unavailable(e),
            RefreshError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::NotFound => Self::NotFound(SESSION_NOT_FOUND),
            SessionError::WrongPassword => Self::Unauthorized(INCORRECT_PASSWORD),
            SessionError::Throttled(wait) => {
                Self::throttled("failed password attempts per account", wait)
            }
            SessionError::PersonalToken => Self::Forbidden(PERSONAL_TOKEN_FORBIDDEN),
            SessionError::Unavailable(e) => Self::Unavailable(e),
            SessionError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<RecoveryError> for ApiError {
    fn from(error: RecoveryError) -> Self {
        match error {
            RecoveryError::InvalidToken => Self::BadRequest(INVALID_ACCOUNT_TOKEN.to_owned()),
            RecoveryError::Throttled(wait) => Self::throttled("recovery requests", wait),
            RecoveryError::Forbidden => Self::Forbidden(NOT_ENOUGH_PERMISSIONS),
            RecoveryError::NotFound => Self::NotFound("User not found"),
            RecoveryError::Unavailable(e) => Self::Unavailable(e),
            RecoveryError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<UserError> for ApiError {
    fn from(error: UserError) -> Self {
        match error {
            UserError::NotFound => Self::NotFound("User not found"),
            UserError::Forbidden => Self::Forbidden(NOT_ENOUGH_PERMISSIONS),
            UserError::Conflict(field) => Self::Conflict(format!(
                "A user with this {} already exists",
                field.as_str()
            )),
            UserError::InvalidCursor(e) => Self::invalid_cursor(e),
            UserError::Unavailable(e) => Self::Unavailable(e),
            UserError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<PersonalTokenError> for ApiError {
    fn from(error: PersonalTokenError) -> Self {
        match error {
            PersonalTokenError::NotFound => Self::NotFound("Token not found"),
            PersonalTokenError::PersonalToken => Self::Forbidden(PERSONAL_TOKEN_FORBIDDEN),
            PersonalTokenError::TooMany { max } => Self::Conflict(format!(
                "You already hold {max} personal access tokens, the most allowed: revoke one first"
            )),
            PersonalTokenError::Unavailable(e) => Self::Unavailable(e),
            PersonalTokenError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<TodoError> for ApiError {
    fn from(error: TodoError) -> Self {
        match error {
            TodoError::Unauthenticated => Self::Unauthorized(INVALID_CREDENTIALS),
            TodoError::NotFound => Self::NotFound("Todo not found"),
            TodoError::Forbidden => Self::Forbidden(NOT_ENOUGH_PERMISSIONS),
            TodoError::InvalidCursor(e) => Self::invalid_cursor(e),
            TodoError::Unavailable(e) => Self::Unavailable(e),
            TodoError::Unexpected(e) => Self::Internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn envelope_has_the_contract_shape() {
        let body = ApiError::NotFound("Todo not found").envelope("req-1");
        assert_eq!(
            body,
            json!({"error": {"status_code": 404, "message": "Todo not found", "type": "client_error"}, "request_id": "req-1"})
        );
    }

    #[test]
    fn validation_errors_go_under_details() {
        let body =
            ApiError::validation("email", "value is not a valid email address", "value_error")
                .envelope("r");
        assert_eq!(body["error"]["status_code"], 422);
        assert_eq!(
            body["error"]["details"]["validation_errors"][0]["field"],
            "email"
        );
        assert_eq!(
            body["error"]["details"]["validation_errors"][0]["type"],
            "value_error"
        );
    }

    #[test]
    fn throttling_is_429_with_retry_after() {
        let error = ApiError::from(LoginError::Throttled(RetryAfter(
            std::time::Duration::from_millis(899_500),
        )));
        let response = error.response_for("r");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "900");
        assert_eq!(error.envelope("r")["error"]["status_code"], 429);
    }

    #[test]
    fn a_reused_refresh_token_is_the_same_401_as_an_invalid_one() {
        let reused = ApiError::from(RefreshError::Reused(domain::SessionId(7)));
        let invalid = ApiError::from(RefreshError::Invalid);
        assert_eq!(reused.envelope("r"), invalid.envelope("r"));
        assert_eq!(reused.status_code(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let body =
            ApiError::internal(anyhow::anyhow!("relation \"users\" does not exist")).envelope("r");
        assert_eq!(body["error"]["message"], "Internal server error");
        assert_eq!(body["error"]["type"], "server_error");
        assert!(!body.to_string().contains("relation"));
    }
}
