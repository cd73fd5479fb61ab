//! The bearer-token extractor: every protected handler takes a
//! [`CurrentUser`], proven on every request (signature, expiry, and the user
//! still existing and active in the database).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::User;
use domain::services::Actor;

use crate::error::{ApiError, NOT_AUTHENTICATED};
use crate::state::AppState;

/// The authenticated user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl CurrentUser {
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor::from(&self.0)
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
            let user = state.auth.authenticate(&token).await?;
            req.extensions_mut().insert(AuthenticatedUserId(user.id.0));
            Ok(Self(user))
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched
/// case-insensitively). Tokens anywhere else (query string, cookies) are ignored.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
