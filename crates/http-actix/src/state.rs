//! What every handler can reach: the use-case services and a few settings.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use domain::ports::{Clock, DatabaseProbe, SchemaStatus};
use domain::services::{AuthService, SessionService, TodoService, UserService};

use crate::config::Environment;

/// Shared application state (cheap to clone: everything inside is shared).
#[derive(Clone)]
pub struct AppState {
    pub auth: AuthService,
    pub sessions: SessionService,
    pub users: UserService,
    pub todos: TodoService,
    pub probe: Arc<dyn DatabaseProbe>,
    pub schema: Arc<dyn SchemaStatus>,
    /// The time the responses tell (`GET /v1/health`'s `timestamp`).
    pub clock: Arc<dyn Clock>,
    pub environment: Environment,
    pub health_timeout: Duration,
    /// `GET /.well-known/jwks.json`, serialized once at start-up (the keys
    /// are loaded once too).
    pub jwks: Bytes,
}
