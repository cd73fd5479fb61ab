//! `GET /metrics`: Prometheus text exposition, no authentication (it is meant
//! to be reachable from the internal network only; see docs/OPERATIONS.md).

use actix_web::{HttpResponse, web};
use anyhow::Context;

use crate::error::ApiError;
use crate::metrics::{CONTENT_TYPE, Metrics};

/// Registers `/metrics` and the metrics the middleware records into, when
/// metrics are enabled; otherwise `/metrics` is an unknown route (404).
pub fn configure(cfg: &mut web::ServiceConfig, metrics: Option<web::Data<Metrics>>) {
    if let Some(metrics) = metrics {
        cfg.app_data(metrics)
            .service(web::resource("/metrics").route(web::get().to(scrape)));
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
