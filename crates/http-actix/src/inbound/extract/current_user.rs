//! The bearer-token extractors. Every request to a protected route proves
//! its token: signature, expiry, the session still live and the user still
//! existing and active, read from the shared database so that every
//! instance agrees at once. Two ways:
//!
//! - [`CurrentUser`] proves all of it before the handler runs (one query
//!   for the session and user), for handlers that need the user;
//! - [`Caller`] checks only the signature and expiry, and hands the use
//!   case the session to prove in the statement that does its work (the
//!   todo routes: one round trip per request instead of two). A handler
//!   that takes a [`Caller`] must pass it to such a use case.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::ports::VerifiedAccess;
use domain::services::{Actor, Authenticated};
use domain::{SessionId, User};

use crate::inbound::error::{ApiError, NOT_AUTHENTICATED};
use crate::inbound::state::AppState;

/// The longest `Authorization` value looked at. Our tokens are well under
/// 2 KiB; anything this long is refused (401) without being parsed.
const MAX_AUTHORIZATION_BYTES: usize = 16 * 1024;

/// The authenticated user of this request and the session its token names.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

impl CurrentUser {
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor::from(&self.0.user)
    }

    #[must_use]
    pub fn user(&self) -> &User {
        &self.0.user
    }

    #[must_use]
    pub fn session(&self) -> SessionId {
        self.0.session
    }
}

/// Put in the request's extensions once authenticated, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedUserId(pub i64);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = verified_caller(req);
        Box::pin(async move {
            let (Caller(access), state) = verified?;
            Ok(Self(state.auth.authenticate_verified(access).await?))
        })
    }
}

/// Who a bearer token names, its signature and expiry checked; its session
/// and user are still to be proven by the use case it is passed to.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub VerifiedAccess);

impl Caller {
    /// `input` (the request's path, query and body, parsed and validated)
    /// as it is, once the token is known to hold: a request whose token's
    /// session ended is refused with 401 before any complaint about its
    /// input, as a [`CurrentUser`] route refuses it. The session is looked
    /// up only when `input` is an error; otherwise the use case's statement
    /// proves it.
    ///
    /// # Errors
    /// 401 when the input is bad and the session no longer holds; else the
    /// input's own error.
    pub async fn checked<T>(
        &self,
        state: &AppState,
        input: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match input {
            Ok(input) => Ok(input),
            Err(error) => {
                state.auth.authenticate_verified(self.0).await?;
                Err(error)
            }
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(verified_caller(req).map(|(caller, _)| caller))
    }
}

/// The bearer token's signature and expiry checked (both extractors start
/// here), and the application state to go on with.
fn verified_caller(req: &HttpRequest) -> Result<(Caller, web::Data<AppState>), ApiError> {
    let token = bearer_token(req).ok_or(ApiError::Unauthorized(NOT_AUTHENTICATED))?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))?;
    let access = state.auth.verify_token(token)?;
    // For the access log, which leaves it out of a 401 (the session may
    // yet turn out to have ended).
    req.extensions_mut()
        .insert(AuthenticatedUserId(access.user.0));
    Ok((Caller(access), state.clone()))
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched
/// case-insensitively). Tokens anywhere else (query string, cookies) are
/// ignored, and so is an oversized header.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
