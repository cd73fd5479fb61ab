//! The bearer-token extractor: every protected handler takes a
//! [`CurrentUser`], proven on every request (signature, expiry, the session
//! still live and the user still existing and active, read from the shared
//! database so that every instance agrees at once).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::services::{Actor, Authenticated};
use domain::{SessionId, User};

use crate::error::{ApiError, NOT_AUTHENTICATED};
use crate::state::AppState;

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
        let token = bearer_token(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized(NOT_AUTHENTICATED))?;
            let state = state.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("application state is missing"))
            })?;
            let authenticated = state.auth.authenticate(&token).await?;
            req.extensions_mut()
                .insert(AuthenticatedUserId(authenticated.user.id.0));
            Ok(Self(authenticated))
        })
    }
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
