//! What a personal access token may reach: the one place it is decided,
//! for every route (the bearer extractors call it for every `pat_…`
//! credential before any handler runs).
//!
//! A token reaches its owner's todos, within its scopes, and
//! `GET /v1/auth/me`; nothing else: not the account (sessions, password,
//! second factor, tokens, events) and not the users API. A route added
//! later is refused to tokens until it is listed here, and the route-matrix
//! test (`tests/api/personal_tokens.rs`), which walks every operation of
//! the OpenAPI document with a token, says so.

use actix_web::HttpRequest;
use actix_web::http::Method;
use domain::{TokenScope, TokenScopes};

use crate::inbound::error::{ApiError, PERSONAL_TOKEN_FORBIDDEN, PERSONAL_TOKEN_SCOPE};

/// What an endpoint asks of a personal access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAccess {
    /// Any token of the user.
    AnyScope,
    /// A token with this scope.
    Needs(TokenScope),
    /// No token at all.
    Refused,
}

/// What the endpoint `method` `pattern` (the route's pattern, e.g.
/// `/v1/todos/{id}`) asks of a personal access token.
#[must_use]
pub fn token_access(method: &Method, pattern: &str) -> TokenAccess {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    match pattern {
        "/v1/auth/me" if reads => TokenAccess::AnyScope,
        "/v1/todos" | "/v1/todos/{id}" if reads => TokenAccess::Needs(TokenScope::TodosRead),
        "/v1/todos" | "/v1/todos/{id}" => TokenAccess::Needs(TokenScope::TodosWrite),
        _ => TokenAccess::Refused,
    }
}

/// Whether a token with `scopes` may make the request `req`.
///
/// # Errors
/// [`ApiError::Forbidden`] (403) for an endpoint no token reaches, or one
/// whose scope the token lacks.
pub(super) fn check(req: &HttpRequest, scopes: TokenScopes) -> Result<(), ApiError> {
    let pattern = req.match_pattern();
    match token_access(req.method(), pattern.as_deref().unwrap_or_default()) {
        TokenAccess::AnyScope => Ok(()),
        TokenAccess::Needs(scope) if scopes.contains(scope) => Ok(()),
        TokenAccess::Needs(_) => Err(ApiError::Forbidden(PERSONAL_TOKEN_SCOPE)),
        TokenAccess::Refused => Err(ApiError::Forbidden(PERSONAL_TOKEN_FORBIDDEN)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_and_write_todos_by_scope_and_read_the_profile() {
        use TokenAccess::{AnyScope, Needs, Refused};
        let read = Needs(TokenScope::TodosRead);
        let write = Needs(TokenScope::TodosWrite);
        for (method, pattern, expected) in [
            (Method::GET, "/v1/todos", read),
            (Method::HEAD, "/v1/todos/{id}", read),
            (Method::POST, "/v1/todos", write),
            (Method::PATCH, "/v1/todos/{id}", write),
            (Method::DELETE, "/v1/todos/{id}", write),
            (Method::GET, "/v1/auth/me", AnyScope),
            (Method::PATCH, "/v1/auth/me", Refused),
            (Method::GET, "/v1/auth/tokens", Refused),
            (Method::POST, "/v1/auth/logout", Refused),
            (Method::GET, "/v1/users", Refused),
            (Method::GET, "/v1/users/{id}", Refused),
            (Method::GET, "", Refused),
        ] {
            assert_eq!(
                token_access(&method, pattern),
                expected,
                "{method} {pattern}"
            );
        }
    }
}
