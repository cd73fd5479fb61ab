//! Health bodies: the full check, liveness and readiness. Failures carry the
//! error envelope beside their own fields (monitoring reads `status`, API
//! clients read `error`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::inbound::error::ErrorEnvelope;

/// `GET /v1/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: HealthStatus,
    /// The service's version.
    #[schema(value_type = String, examples("0.1.0"))]
    pub version: &'static str,
    /// `development`, `production` or `test`.
    #[schema(value_type = String, examples("production"))]
    pub environment: &'static str,
    /// The service's clock.
    pub timestamp: DateTime<Utc>,
    pub database: DatabaseHealth,
}

/// `healthy`, or `unhealthy` when the database does not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Unhealthy,
}

/// The database probe's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    pub status: DatabaseStatus,
    /// The database server's clock; `null` when disconnected.
    pub current_time: Option<DateTime<Utc>>,
}

/// Whether the database answered within `HEALTH_TIMEOUT_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseStatus {
    Connected,
    Disconnected,
}

/// `GET /v1/health` when the database is unreachable (503): the health
/// fields and the error envelope in one object.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnhealthyResponse {
    #[serde(flatten)]
    pub health: HealthResponse,
    #[serde(flatten)]
    pub envelope: ErrorEnvelope,
}

/// `GET /v1/health/live`: the process is up.
#[derive(Debug, Serialize, ToSchema)]
pub struct LivenessResponse {
    pub status: LiveStatus,
}

/// Always `alive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    Alive,
}

/// `GET /v1/health/ready` (200): the database answers and its schema is
/// current.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessResponse {
    pub status: ReadyStatus,
}

/// Always `ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    Ready,
}

/// Always `not_ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotReadyStatus {
    NotReady,
}

/// `GET /v1/health/ready` (503): why the instance should get no traffic,
/// with the error envelope.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "status": "not_ready",
    "reason": "1 pending migration",
    "pending_migrations": 1,
    "error": {"status_code": 503, "message": "Service temporarily unavailable", "type": "server_error"},
    "request_id": "5b0c8c5e-4d8e-4b55-9a47-3f0f1b8a6f4e"
})))]
pub struct NotReadyResponse {
    pub status: NotReadyStatus,
    /// `database unreachable` or `N pending migration(s)`.
    #[schema(examples("database unreachable", "2 pending migrations"))]
    pub reason: String,
    /// How many migrations the database lacks, when it could be asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = usize)]
    pub pending_migrations: Option<usize>,
    #[serde(flatten)]
    pub envelope: ErrorEnvelope,
}
