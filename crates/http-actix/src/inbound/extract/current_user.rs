//! The bearer-token extractors. Every request to a protected route proves
//! its token: for an access token, its signature, expiry, the session still
//! live and the user still existing and active, read from the shared
//! database so that every instance agrees at once; for a personal access
//! token (`pat_…`), the token live and its user active, and whether it may
//! reach this endpoint at all, which the gate on every protected route
//! decides ([`personal_token_gate`], the one place) before any extractor
//! runs. Two ways:
//!
//! - [`CurrentUser`] proves all of it before the handler runs (one query
//!   for the session and user), for handlers that need the user;
//! - [`Caller`] checks only an access token's signature and expiry, and
//!   hands the use case the credential to prove in the statement that does
//!   its work (the todo routes: one round trip per request instead of
//!   two). A handler that takes a [`Caller`] must pass it to such a use
//!   case. A personal access token was looked up by the gate, and is
//!   proven again by that statement.
//!
//! [`personal_token_gate`]: crate::inbound::middleware::personal_token_gate

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::ports::VerifiedAccess;
use domain::services::{Actor, Authenticated, TokenCaller};
use domain::{Access, Credential, PersonalTokenSecret, User};

use crate::inbound::error::{ApiError, NOT_AUTHENTICATED};
use crate::inbound::state::AppState;

/// The longest `Authorization` value looked at. Our tokens are well under
/// 2 KiB; anything this long is refused (401) without being parsed.
const MAX_AUTHORIZATION_BYTES: usize = 16 * 1024;

/// The authenticated user of this request and the credential its token
/// stands for.
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
    pub fn credential(&self) -> Credential {
        self.0.credential
    }
}

/// Put in the request's extensions once authenticated, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedUserId(pub i64);

/// A bearer credential, its first check passed.
enum Bearer {
    /// An access token whose signature and expiry hold.
    Access(VerifiedAccess),
    /// A personal access token, looked up and let through by the gate.
    PersonalToken(TokenCaller),
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer(req);
        Box::pin(async move {
            match bearer? {
                (Bearer::Access(access), state) => {
                    Ok(Self(state.auth.authenticate_verified(access).await?))
                }
                (Bearer::PersonalToken(caller), _) => Ok(Self(caller.authenticated)),
            }
        })
    }
}

/// Who a bearer token names, its signature and expiry checked (or, for a
/// personal access token, the token looked up and let through by the
/// gate); its
/// credential is still to be proven by the use case it is passed to.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Access);

impl Caller {
    /// `input` (the request's path, query and body, parsed and validated)
    /// as it is, once the token is known to hold: a request whose token's
    /// session ended is refused with 401 before any complaint about its
    /// input, as a [`CurrentUser`] route refuses it. The session is looked
    /// up only when `input` is an error; otherwise the use case's statement
    /// proves it. (A personal access token was proven on extraction.)
    ///
    /// # Errors
    /// 401 when the input is bad and the session no longer holds; else the
    /// input's own error.
    pub async fn checked<T>(
        &self,
        state: &AppState,
        input: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match (input, self.0.credential) {
            (Ok(input), _) => Ok(input),
            (Err(error), Credential::Session(session)) => {
                let access = VerifiedAccess {
                    user: self.0.user,
                    session,
                };
                state.auth.authenticate_verified(access).await?;
                Err(error)
            }
            (Err(error), Credential::PersonalToken(_)) => Err(error),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer(req).map(|(bearer, _)| match bearer {
            Bearer::Access(access) => Self(access.into()),
            Bearer::PersonalToken(caller) => Self(Access {
                user: caller.authenticated.user.id,
                credential: caller.authenticated.credential,
            }),
        }))
    }
}

/// The bearer credential of the request, through its first check (both
/// extractors start here), and the application state to go on with. A
/// personal access token was looked up, and let through, by the gate on the
/// route ([`personal_token_gate`]); this takes what it left.
///
/// [`personal_token_gate`]: crate::inbound::middleware::personal_token_gate
fn bearer(req: &HttpRequest) -> Result<(Bearer, web::Data<AppState>), ApiError> {
    let token = bearer_token(req).ok_or(ApiError::Unauthorized(NOT_AUTHENTICATED))?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))?;
    if PersonalTokenSecret::is_personal_token(token) {
        let caller = req
            .extensions()
            .get::<TokenCaller>()
            .cloned()
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "a personal access token reached a route without the gate"
                ))
            })?;
        return Ok((Bearer::PersonalToken(caller), state.clone()));
    }
    let access = state.auth.verify_token(token)?;
    // For the access log, which leaves it out of a 401 (the session may
    // yet turn out to have ended).
    req.extensions_mut()
        .insert(AuthenticatedUserId(access.user.0));
    Ok((Bearer::Access(access), state.clone()))
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched
/// case-insensitively). Tokens anywhere else (query string, cookies) are
/// ignored, and so is an oversized header.
pub(crate) fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
