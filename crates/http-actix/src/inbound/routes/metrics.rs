//! `GET /metrics`: Prometheus text exposition, no authentication. It is meant
//! to be reachable from the internal network only: set `METRICS_ADDR` (e.g.
//! `127.0.0.1:9100`) to serve it on a listener of its own and not on the
//! API's; see docs/OPERATIONS.md.

use actix_web::{HttpResponse, web};
use anyhow::Context;

use crate::inbound::error::ApiError;
use crate::inbound::metrics::{CONTENT_TYPE, Metrics};

/// Whether this listener serves `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsRoute {
    /// `/metrics` is a route of this listener.
    Here,
    /// Another listener serves it (`METRICS_ADDR`): here it is unknown (404).
    Elsewhere,
}

/// Registers the metrics the middleware records into, when metrics are
/// enabled, and `/metrics` if `route` says so; otherwise `/metrics` is an
/// unknown route (404).
pub fn configure(
    cfg: &mut web::ServiceConfig,
    metrics: Option<web::Data<Metrics>>,
    route: MetricsRoute,
) {
    if let Some(metrics) = metrics {
        cfg.app_data(metrics);
        if route == MetricsRoute::Here {
            cfg.service(web::resource("/metrics").route(web::get().to(scrape)));
        }
    }
}

/// `GET /metrics` → 200 with every metric, the pool gauges read now.
///
/// # Errors
/// 500 if the registry cannot be encoded (a programming error).
pub async fn scrape(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let body = metrics
        .render()
        .context("rendering the metrics")
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(body))
}
