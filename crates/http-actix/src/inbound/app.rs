//! The actix `App`s: the API with its middleware stack, and `/metrics` on a
//! listener of its own. [`crate::startup`] runs them in its `HttpServer`s.

use std::future::Future;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, NormalizePath, from_fn};
use actix_web::{App, HttpResponse, web};

use crate::inbound::client_addr::TrustedProxies;
use crate::inbound::error::ApiError;
use crate::inbound::extract::body::BodyLimit;
use crate::inbound::metrics::Metrics;
use crate::inbound::middleware::content_coding::refuse_encoded_bodies;
use crate::inbound::middleware::head::head_as_get;
use crate::inbound::middleware::{RequestTimeout, request_context};
use crate::inbound::request_id;
use crate::inbound::routes::docs::ApiDocs;
use crate::inbound::routes::metrics::MetricsRoute;
use crate::inbound::state::AppState;

/// What the API's `App` is made of, besides each worker's [`AppState`]:
/// the same for every worker (cheap to clone).
#[derive(Clone)]
pub struct ApiConfig {
    /// `MAX_BODY_BYTES`.
    pub body_limit: usize,
    pub trusted: web::Data<TrustedProxies>,
    pub timeout: RequestTimeout,
    /// `CORS_ORIGINS`; empty: no CORS.
    pub cors_origins: Vec<String>,
    pub docs: ApiDocs,
    pub metrics: Option<web::Data<Metrics>>,
    pub metrics_route: MetricsRoute,
}

/// The API: every route, the docs and (unless served elsewhere) `/metrics`,
/// behind the middleware stack. `state` is run on each worker as it starts,
/// on the worker's runtime, and makes that worker's [`AppState`].
pub fn api<F, Fut>(
    config: ApiConfig,
    state: F,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
>
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = anyhow::Result<AppState>> + 'static,
{
    App::new()
        .data_factory(state)
        .app_data(web::PayloadConfig::new(config.body_limit))
        .app_data(BodyLimit(config.body_limit))
        .app_data(config.trusted.clone())
        .app_data(config.timeout)
        .wrap(NormalizePath::trim())
        .wrap(Condition::new(
            !config.cors_origins.is_empty(),
            cors(&config.cors_origins),
        ))
        // Before anything reads the body.
        .wrap(from_fn(refuse_encoded_bodies))
        // Before routing: HEAD is routed as GET.
        .wrap(from_fn(head_as_get))
        // Outermost: every response, errors included, gets the
        // request id and the security headers here.
        .wrap(from_fn(request_context))
        .configure(routes)
        .configure(crate::inbound::routes::account_pages::configure)
        .configure(|cfg| crate::inbound::routes::docs::configure(cfg, &config.docs))
        .configure(|cfg| {
            crate::inbound::routes::metrics::configure(
                cfg,
                config.metrics.clone(),
                config.metrics_route,
            );
        })
        .default_service(web::to(not_found))
}

/// `/metrics` alone (its own listener, `METRICS_ADDR`).
pub fn metrics(
    metrics: web::Data<Metrics>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(from_fn(head_as_get))
        .wrap(from_fn(request_context))
        .configure(|cfg| {
            crate::inbound::routes::metrics::configure(cfg, Some(metrics), MetricsRoute::Here);
        })
        .default_service(web::to(not_found))
}

/// Cross-origin access for the configured origins only: each is answered
/// with itself in `Access-Control-Allow-Origin`; any other origin gets no
/// CORS header at all (never reflected, never `*`). Bearer tokens travel in
/// a header, not in cookies, so credentials are never allowed.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static(request_id::HEADER),
        ])
        .expose_headers([
            header::HeaderName::from_static(request_id::HEADER),
            header::HeaderName::from_static(crate::inbound::middleware::PROCESS_TIME_HEADER),
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
        .max_age(600)
}

/// Every route of the API, as [`crate::inbound::routes::endpoints`] lists
/// and documents them (the OpenAPI document is built from the same list).
pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::inbound::routes::register(cfg, &crate::inbound::routes::endpoints());
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("Not found"))
}
