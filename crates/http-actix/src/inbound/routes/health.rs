//! `/v1/health`: the full check (service and database), liveness (the
//! process answers; never touches the database) and readiness (the database
//! answers and its schema is current).

use std::time::Duration;

use actix_web::{HttpResponse, HttpResponseBuilder, web};
use domain::ports::{DatabaseProbe, SchemaStatus};

use super::Endpoint;
use crate::inbound::dto::{
    DatabaseHealth, DatabaseStatus, HealthResponse, HealthStatus, LiveStatus, LivenessResponse,
    NotReadyResponse, NotReadyStatus, ReadinessResponse, ReadyStatus, UnhealthyResponse,
};
use crate::inbound::error::{ApiError, UNAVAILABLE_RETRY_AFTER};
use crate::inbound::request_id;
use crate::inbound::state::AppState;

use super::tags::HEALTH as TAG;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(TAG, __path_health, health),
        Endpoint::new(TAG, __path_live, live),
        Endpoint::new(TAG, __path_ready, ready),
    ]
}

/// Service and database health
///
/// Asks the database for its clock, waiting at most `HEALTH_TIMEOUT_MS`.
#[utoipa::path(
    get,
    path = "/v1/health",
    operation_id = "health",
    responses(
        (status = 200, description = "The service and its database answer", body = HealthResponse),
        (status = 503, description = "The database did not answer in time: the health fields \
            (`status: unhealthy`, `database.status: disconnected`) and the error envelope",
            body = UnhealthyResponse),
    )
)]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let probe = tokio::time::timeout(state.health_timeout, state.probe.current_time()).await;
    let mut body = HealthResponse {
        status: HealthStatus::Healthy,
        version: env!("CARGO_PKG_VERSION"),
        environment: state.environment.as_str(),
        timestamp: state.clock.now(),
        database: DatabaseHealth {
            status: DatabaseStatus::Connected,
            current_time: None,
        },
    };
    match probe {
        Ok(Ok(current_time)) => {
            body.database.current_time = Some(current_time);
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
            body.status = HealthStatus::Unhealthy;
            body.database.status = DatabaseStatus::Disconnected;
            let envelope = ApiError::Unavailable(cause).body(&request_id::current());
            unavailable().json(UnhealthyResponse {
                health: body,
                envelope,
            })
        }
    }
}

/// Liveness
///
/// The process is up and serving HTTP. Never touches the database: restart
/// the instance only when this fails.
#[utoipa::path(
    get,
    path = "/v1/health/live",
    operation_id = "liveness",
    responses(
        (status = 200, description = "The process answers", body = LivenessResponse,
            example = json!({"status": "alive"})),
    )
)]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(LivenessResponse {
        status: LiveStatus::Alive,
    })
}

/// Readiness
///
/// Whether this instance should receive traffic: the database answers
/// within `HEALTH_TIMEOUT_MS` and has every migration of this build applied.
#[utoipa::path(
    get,
    path = "/v1/health/ready",
    operation_id = "readiness",
    responses(
        (status = 200, description = "Ready for traffic", body = ReadinessResponse,
            example = json!({"status": "ready"})),
        (status = 503, description = "Not ready: the database is unreachable or has pending \
            migrations; `status: not_ready`, the `reason`, and the error envelope",
            body = NotReadyResponse),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match readiness(&*state.probe, &*state.schema, state.health_timeout).await {
        Readiness::Ready => HttpResponse::Ok().json(ReadinessResponse {
            status: ReadyStatus::Ready,
        }),
        Readiness::NotReady {
            reason,
            pending_migrations,
            cause,
        } => {
            tracing::warn!(
                reason,
                error = format!("{cause:#}"),
                "readiness check: not ready"
            );
            let envelope = ApiError::Unavailable(cause).body(&request_id::current());
            unavailable().json(NotReadyResponse {
                status: NotReadyStatus::NotReady,
                reason,
                pending_migrations,
                envelope,
            })
        }
    }
}

/// A 503 with `Retry-After`, like every other 503 of the service (see
/// [`ApiError::response_for`]).
fn unavailable() -> HttpResponseBuilder {
    let mut response = HttpResponse::ServiceUnavailable();
    response.insert_header(UNAVAILABLE_RETRY_AFTER);
    response
}

/// What the readiness check found.
#[derive(Debug)]
enum Readiness {
    Ready,
    NotReady {
        /// For the client: no internal detail.
        reason: String,
        pending_migrations: Option<usize>,
        /// For the log.
        cause: anyhow::Error,
    },
}

/// Asks the database for its clock, then for the migrations it lacks, all
/// within `timeout`.
async fn readiness(
    probe: &dyn DatabaseProbe,
    schema: &dyn SchemaStatus,
    timeout: Duration,
) -> Readiness {
    let check = async {
        probe.current_time().await?;
        schema.pending_migrations().await
    };
    let unreachable = |cause| Readiness::NotReady {
        reason: "database unreachable".to_owned(),
        pending_migrations: None,
        cause,
    };
    match tokio::time::timeout(timeout, check).await {
        Ok(Ok(0)) => Readiness::Ready,
        Ok(Ok(n)) => {
            let reason = format!("{n} pending migration{}", if n == 1 { "" } else { "s" });
            Readiness::NotReady {
                cause: anyhow::anyhow!("{reason}; run `api migrate up`"),
                reason,
                pending_migrations: Some(n),
            }
        }
        Ok(Err(e)) => unreachable(e.into()),
        Err(_) => unreachable(anyhow::anyhow!(
            "the database did not answer within {timeout:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};
    use domain::RepositoryError;

    use super::*;

    /// A database that answers, fails, or never answers.
    #[derive(Clone, Copy)]
    enum Database {
        Answers { pending: usize },
        Down,
        Hangs,
    }

    #[async_trait]
    impl DatabaseProbe for Database {
        async fn current_time(&self) -> Result<DateTime<Utc>, RepositoryError> {
            match self {
                Self::Answers { .. } => Ok(Utc::now()),
                Self::Down => Err(RepositoryError::Unavailable(anyhow::anyhow!(
                    "connection refused"
                ))),
                Self::Hangs => std::future::pending().await,
            }
        }
    }

    #[async_trait]
    impl SchemaStatus for Database {
        async fn pending_migrations(&self) -> Result<usize, RepositoryError> {
            match self {
                Self::Answers { pending } => Ok(*pending),
                Self::Down | Self::Hangs => unreachable!("asked after the probe failed"),
            }
        }
    }

    async fn check(database: Database) -> Readiness {
        readiness(&database, &database, Duration::from_millis(50)).await
    }

    fn not_ready(readiness: Readiness) -> (String, Option<usize>, String) {
        match readiness {
            Readiness::NotReady {
                reason,
                pending_migrations,
                cause,
            } => (reason, pending_migrations, format!("{cause:#}")),
            Readiness::Ready => panic!("ready"),
        }
    }

    #[tokio::test]
    async fn a_current_schema_is_ready() {
        assert!(matches!(
            check(Database::Answers { pending: 0 }).await,
            Readiness::Ready
        ));
    }

    #[tokio::test]
    async fn pending_migrations_are_counted_in_the_reason() {
        let (reason, pending, _) = not_ready(check(Database::Answers { pending: 1 }).await);
        assert_eq!((reason.as_str(), pending), ("1 pending migration", Some(1)));
        let (reason, pending, _) = not_ready(check(Database::Answers { pending: 3 }).await);
        assert_eq!(
            (reason.as_str(), pending),
            ("3 pending migrations", Some(3))
        );
    }

    #[tokio::test]
    async fn a_failing_database_is_unreachable_and_its_error_stays_in_the_log() {
        let (reason, pending, cause) = not_ready(check(Database::Down).await);
        assert_eq!((reason.as_str(), pending), ("database unreachable", None));
        assert!(cause.contains("connection refused"), "{cause}");
        assert!(!reason.contains("refused"));
    }

    #[tokio::test]
    async fn a_silent_database_is_unreachable_after_the_timeout() {
        let (reason, pending, cause) = not_ready(check(Database::Hangs).await);
        assert_eq!((reason.as_str(), pending), ("database unreachable", None));
        assert!(cause.contains("did not answer"), "{cause}");
    }
}
