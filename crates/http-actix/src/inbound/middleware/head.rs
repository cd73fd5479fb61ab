//! `HEAD` wherever `GET` is (RFC 9110 §9.3.2): a `HEAD` request is routed
//! and handled as the `GET` it mirrors, and the server sends the response's
//! status and headers (`Content-Length` included) without its body.
//!
//! actix-http already withholds the body of any answer to a request that
//! arrived as `HEAD` (its codec remembers the method it parsed), so
//! rewriting the method before routing is all it takes. The access log and
//! the metrics keep the method the client sent.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// See the module documentation.
///
/// # Errors
/// Only those of the inner services.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
