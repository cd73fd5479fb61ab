//! Who is calling, as far as the server can tell: the `User-Agent` and the
//! client address (see [`crate::inbound::client_addr`]), for sessions and throttling.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::ClientInfo;

use crate::inbound::client_addr::{ClientAddr, TrustedProxies, client_addr};
use crate::inbound::error::ApiError;

/// The request's [`ClientInfo`].
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        ready(Ok(Self(ClientInfo::new(
            user_agent,
            address(req).map(|ip| ip.to_string()),
        ))))
    }
}

/// The address the request-context middleware worked out, or (outside it)
/// worked out now the same way.
fn address(req: &HttpRequest) -> Option<std::net::IpAddr> {
    if let Some(ClientAddr(ip)) = req.extensions().get::<ClientAddr>() {
        return Some(*ip);
    }
    let trusted = req
        .app_data::<web::Data<TrustedProxies>>()
        .map(|t| t.get_ref().clone())
        .unwrap_or_default();
    client_addr(req.peer_addr().map(|a| a.ip()), req.headers(), &trusted)
}
