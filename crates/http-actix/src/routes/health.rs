//! `GET /v1/health`: the service and a database probe with a short timeout.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use crate::error::ApiError;
use crate::request_id;
use crate::state::AppState;

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let probe = tokio::time::timeout(state.health_timeout, state.probe.current_time()).await;
    let mut body = json!({
        "status": "healthy",
        "version": env!("CARGO_PKG_VERSION"),
        "environment": state.environment.as_str(),
        "timestamp": Utc::now(),
    });
    match probe {
        Ok(Ok(current_time)) => {
            body["database"] = json!({ "status": "connected", "current_time": current_time });
            HttpResponse::Ok().json(body)
        }
        outcome => {
            let cause = match outcome {
                Ok(Err(e)) => anyhow::Error::from(e),
                _ => anyhow::anyhow!("database probe timed out after {:?}", state.health_timeout),
            };
            tracing::warn!(
                error = format!("{cause:#}"),
                "health check: database unreachable"
            );
            // The health shape and the error envelope, both: monitoring reads
            // `status`, API clients read `error`.
            let id = request_id::current();
            let envelope = ApiError::Unavailable(cause).envelope(&id);
            body["status"] = json!("unhealthy");
            body["database"] = json!({ "status": "disconnected", "current_time": null });
            body["error"] = envelope["error"].clone();
            body["request_id"] = json!(id);
            HttpResponse::ServiceUnavailable().json(body)
        }
    }
}
