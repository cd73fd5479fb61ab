//! `/.well-known/jwks.json`: the public keys that verify access tokens, for
//! other services (and clients) to check tokens without asking us.

use actix_web::HttpResponse;
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::web;

use super::Endpoint;
use crate::inbound::dto::JwksResponse;
use crate::inbound::state::AppState;

use super::tags::KEYS as TAG;

/// How long clients and caches may keep the key set, in seconds. A rotated
/// key is published (as the retired key) as long as it is accepted, so a
/// cached copy never lacks a key still in use for longer than this.
pub const JWKS_MAX_AGE: u32 = 300;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(TAG, __path_jwks, jwks)]
}

/// The token-verification keys
///
/// A JSON Web Key Set (RFC 7517): the active signing key and the retired
/// keys still accepted. Each `kid` is the key's RFC 7638 thumbprint, which
/// access tokens name in their header. Never any private member.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    responses(
        (status = 200, description = "The key set (sent with `Cache-Control: public, max-age=300`)",
            body = JwksResponse),
    )
)]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(JWKS_MAX_AGE),
        ]))
        .body(state.jwks.clone())
}
