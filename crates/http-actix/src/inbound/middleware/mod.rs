//! The request-context middleware, outermost on every request:
//! - assigns the request id (echoing a valid client value) and keeps it in a
//!   task-local so every error envelope names it;
//! - works out the client address once ([`crate::inbound::client_addr`]) and keeps it
//!   in the request's extensions for the handlers (sessions, throttling) and
//!   the access log;
//! - gives the rest of the request (reading the body, the handler) at most
//!   `REQUEST_TIMEOUT_SECONDS`, then answers 408;
//! - turns any error response that is not already our envelope (actix's own
//!   405s, routing errors) into the envelope;
//! - adds `X-Request-ID`, `X-Process-Time` (milliseconds),
//!   `X-Content-Type-Options: nosniff` and `X-Frame-Options: DENY` to every
//!   response;
//! - logs one completion line per request;
//! - records the request in the metrics when they are enabled (a counter and
//!   a histogram observation, labelled with the route template).

pub mod content_coding;
pub mod head;
pub mod personal_token_gate;

use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::inbound::client_addr::{ClientAddr, TrustedProxies, client_addr};
use crate::inbound::error::ApiError;
use crate::inbound::extract::AuthenticatedUserId;
use crate::inbound::extract::body::body_limit;
use crate::inbound::metrics::Metrics;
use crate::inbound::request_id;

pub const PROCESS_TIME_HEADER: &str = "x-process-time";

/// How long a request may take once its headers are in (application data).
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

/// See the module documentation.
///
/// # Errors
/// Never: errors of inner services are turned into enveloped responses.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let started = Instant::now();
    let id = request_id::from_header(req.headers().get(request_id::HEADER));
    let method = req.method().clone();
    let path = req.path().to_owned();
    let client = {
        let trusted = req.app_data::<web::Data<TrustedProxies>>();
        let empty = TrustedProxies::default();
        client_addr(
            req.peer_addr().map(|a| a.ip()),
            req.headers(),
            trusted.map_or(&empty, |t| t.get_ref()),
        )
    };
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    let client_ip = client.map(|ip| ip.to_string()).unwrap_or_default();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let limit = req.app_data::<RequestTimeout>().map(|t| t.0);
    let body_limit = body_limit(req.request());
    // Nothing may hold a clone of the request while inner services run:
    // routing needs it uniquely owned.
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let inner = next.call(req).instrument(span);
    let timed = async move {
        match limit {
            Some(limit) => tokio::time::timeout(limit, inner)
                .await
                .unwrap_or_else(|_| Err(ApiError::RequestTimeout.into())),
            None => inner.await,
        }
    };
    let outcome = request_id::scope(id.clone(), timed).await;

    let mut response = match outcome {
        Ok(response) if needs_envelope(&response) => {
            let status = response.status();
            let (request, original) = response.into_parts();
            let mut enveloped = error_for(status, body_limit).response_for(&id);
            keep_cors_headers(original.headers(), enveloped.headers_mut());
            ServiceResponse::new(request, enveloped).map_into_right_body()
        }
        Ok(response) => response.map_into_left_body(),
        Err(error) => {
            // Inner services answer errors as responses; should one still
            // surface as an `Err`, answer it in the envelope all the same.
            let status = error.as_response_error().status_code();
            let mut response = error_for(status, body_limit).response_for(&id);
            if let Some(metrics) = &metrics {
                // The request is gone with the error: its route is unknown.
                metrics.observe_request(&method, None, status, started.elapsed());
            }
            log_completion(
                &id,
                &method,
                &path,
                status.as_u16(),
                started,
                &client_ip,
                None,
            );
            add_headers(response.headers_mut(), &id, started);
            return Err(actix_web::error::InternalError::from_response(error, response).into());
        }
    };

    add_headers(response.headers_mut(), &id, started);
    if let Some(metrics) = &metrics {
        // Routing is done: the template (`/v1/todos/{id}`) is known, and
        // NormalizePath has already trimmed the path it is matched against.
        let route = response.request().match_pattern();
        metrics.observe_request(
            &method,
            route.as_deref(),
            response.status(),
            started.elapsed(),
        );
    }
    // A 401 names no user, even where the token's signature held.
    let user_id = response
        .request()
        .extensions()
        .get::<AuthenticatedUserId>()
        .map(|u| u.0)
        .filter(|_| response.status() != StatusCode::UNAUTHORIZED);
    log_completion(
        &id,
        &method,
        &path,
        response.status().as_u16(),
        started,
        &client_ip,
        user_id,
    );
    Ok(response)
}

/// The request id, the processing time, and the security headers every
/// response carries (`nosniff`, `X-Frame-Options: DENY`), error answers
/// that surface as `Err` (a timeout) included.
fn add_headers(headers: &mut header::HeaderMap, id: &str, started: Instant) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(HeaderName::from_static(request_id::HEADER), value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("{elapsed_ms:.3}")) {
        headers.insert(HeaderName::from_static(PROCESS_TIME_HEADER), value);
    }
}

fn log_completion(
    id: &str,
    method: &actix_web::http::Method,
    path: &str,
    status: u16,
    started: Instant,
    client_ip: &str,
    user_id: Option<i64>,
) {
    let response_time_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    if status >= 500 {
        tracing::error!(request_id = %id, %method, path, status, response_time_ms, client_ip, user_id, "request completed");
    } else {
        tracing::info!(request_id = %id, %method, path, status, response_time_ms, client_ip, user_id, "request completed");
    }
}

/// An error response whose body is not JSON was made by actix itself (an
/// unmatched method, a routing error) and gets the envelope.
fn needs_envelope<B>(response: &ServiceResponse<B>) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    !is_json
}

/// The CORS middleware's headers on a response that is replaced by the
/// envelope, so that a browser can read the envelope too.
fn keep_cors_headers(from: &header::HeaderMap, to: &mut header::HeaderMap) {
    for (name, value) in from {
        if name.as_str().starts_with("access-control-") || name == header::VARY {
            to.append(name.clone(), value.clone());
        }
    }
}

/// The envelope for an error response actix made itself; a 413 names the
/// configured body limit (`MAX_BODY_BYTES`).
fn error_for(status: StatusCode, body_limit: usize) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("Not found"),
        StatusCode::REQUEST_TIMEOUT => ApiError::RequestTimeout,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(body_limit),
        StatusCode::INTERNAL_SERVER_ERROR => {
            ApiError::internal(anyhow::anyhow!("unhandled error inside actix"))
        }
        other => ApiError::Status(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::{App, HttpResponse, test, web};

    use super::*;
    use crate::inbound::extract::body::BodyLimit;

    /// A bare 413, as actix's own extractors answer one, is enveloped with
    /// the limit the app is configured with, not the default.
    #[actix_web::test]
    async fn an_actix_413_names_the_configured_limit() {
        let app = test::init_service(
            App::new()
                .app_data(BodyLimit(2048))
                .wrap(actix_web::middleware::from_fn(request_context))
                .route(
                    "/",
                    web::post().to(|| async { HttpResponse::PayloadTooLarge().finish() }),
                ),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::post().uri("/").to_request()).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        assert!(body.contains("limit of 2048 bytes"), "{body}");
    }
}
