//! What a personal access token may reach: the one place it is decided,
//! for every route. [`personal_token_gate`] wraps every protected route
//! (the router adds it, `routes::endpoint::register`): a request bearing a
//! `pat_…` credential is refused with 403 on an endpoint no token reaches
//! (without a lookup), else the token is looked up (401 unless live) and
//! refused with 403 without the scope the endpoint needs; only then do the
//! route's extractors run (so a bad body never hides the refusal), and the
//! bearer extractors take the caller the gate left in the request's
//! extensions.
//!
//! A token reaches its owner's todos, within its scopes, and
//! `GET /v1/auth/me`; nothing else: not the account (sessions, password,
//! second factor, tokens, events) and not the users API. A route added
//! later is refused to tokens until it is listed in [`token_access`], and
//! the route-matrix test (`tests/api/personal_tokens.rs`), which walks
//! every operation of the OpenAPI document with a token, says so.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use domain::{PersonalTokenSecret, TokenScope};

use crate::inbound::error::{ApiError, PERSONAL_TOKEN_FORBIDDEN, PERSONAL_TOKEN_SCOPE};
use crate::inbound::extract::{AuthenticatedUserId, bearer_token};
use crate::inbound::state::AppState;

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

/// The gate on every protected route (see the module's docs). Requests
/// without a personal access token pass untouched.
///
/// # Errors
/// 403 for an endpoint the token may not reach or whose scope it lacks;
/// 401 for a token that is not live; 503 when the store is unavailable.
pub async fn personal_token_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let secret = bearer_token(req.request())
        .filter(|token| PersonalTokenSecret::is_personal_token(token))
        .map(str::to_owned);
    if let Some(secret) = secret
        && let Err(refusal) = admit(&req, &secret).await
    {
        // Answered here, in the envelope, as any handler's error is.
        return Ok(req.error_response(refusal).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Looks the token up and checks it may make `req`; leaves the caller in
/// the request's extensions for the bearer extractors.
async fn admit(req: &ServiceRequest, secret: &str) -> Result<(), ApiError> {
    let pattern = req.match_pattern();
    let access = token_access(req.method(), pattern.as_deref().unwrap_or_default());
    if access == TokenAccess::Refused {
        return Err(ApiError::Forbidden(PERSONAL_TOKEN_FORBIDDEN));
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))?;
    let caller = state.personal_tokens.authenticate(secret).await?;
    req.extensions_mut()
        .insert(AuthenticatedUserId(caller.authenticated.user.id.0));
    if let TokenAccess::Needs(scope) = access
        && !caller.scopes.contains(scope)
    {
        return Err(ApiError::Forbidden(PERSONAL_TOKEN_SCOPE));
    }
    req.extensions_mut().insert(caller);
    Ok(())
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
