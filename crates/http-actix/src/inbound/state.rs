//! What every handler can reach: the use-case services and a few settings.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use domain::ports::{Clock, DatabaseProbe, SchemaStatus};
use domain::services::{
    AuthService, PersonalTokenService, RecoveryService, SessionService, TodoService, UserService,
};

/// Shared application state (cheap to clone: everything inside is shared).
#[derive(Clone)]
pub struct AppState {
    pub auth: AuthService,
    pub sessions: SessionService,
    pub recovery: RecoveryService,
    pub users: UserService,
    pub todos: TodoService,
    pub personal_tokens: PersonalTokenService,
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

/// Where the service runs; changes defaults and what is tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
    Test,
}

impl Environment {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
            Self::Test => "test",
        }
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            "test" => Ok(Self::Test),
            _ => Err("expected one of development, production, test".into()),
        }
    }
}
