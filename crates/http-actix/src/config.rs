//! Settings: read once from the environment (and `.env` in development),
//! validated at start-up with one clear message per bad value, then passed
//! explicitly. Every variable is documented in `.env.example`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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

/// A secret read from the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The SQLite file used when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db?mode=rwc";

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub app_name: String,
    pub environment: Environment,
    /// `DEBUG`: serves the interactive API docs, Swagger UI at `/docs` and
    /// ReDoc at `/redoc` (404 otherwise). `/openapi.json` is always served.
    pub debug: bool,
    pub host: String,
    pub port: u16,
    pub database_url: String,
    pub db_pool_size: u32,
    pub db_acquire_timeout: Duration,
    pub db_echo: bool,
    pub log_level: String,
    pub log_json: bool,
    pub jwt_private_key_path: PathBuf,
    pub jwt_public_key_path: PathBuf,
    pub jwt_private_key_password: Option<Secret>,
    pub access_token_expire_minutes: u64,
    pub jwt_leeway_seconds: u64,
    pub bcrypt_cost: u32,
    pub auto_migrate: bool,
    pub max_body_bytes: usize,
    pub workers: usize,
    pub shutdown_timeout: Duration,
    pub health_timeout: Duration,
    /// Serve Prometheus metrics at `GET /metrics`.
    pub metrics_enabled: bool,
}

/// All the problems found in the environment, one line each.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .problems.join("\n  "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// Reads typed values by name and collects every problem instead of stopping
/// at the first.
struct Reader<F> {
    lookup: F,
    problems: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    fn parsed<T: FromStr>(&mut self, name: &str, default: T, expected: &str) -> T
    where
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => default,
            Some(value) => match value.trim().parse::<T>() {
                Ok(v) => v,
                Err(e) => {
                    self.problems
                        .push(format!("{name}: {expected}, got {value:?} ({e})"));
                    default
                }
            },
        }
    }

    fn bool(&mut self, name: &str, default: bool) -> bool {
        match self.raw(name) {
            None => default,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    self.problems
                        .push(format!("{name}: expected true or false, got {value:?}"));
                    default
                }
            },
        }
    }

    fn ranged<T>(&mut self, name: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: FromStr + PartialOrd + Copy + fmt::Display,
        T::Err: fmt::Display,
    {
        let expected = format!(
            "expected a whole number from {} to {}",
            range.start(),
            range.end()
        );
        let value = self.parsed(name, default, &expected);
        if range.contains(&value) {
            value
        } else {
            self.problems
                .push(format!("{name}: {expected}, got {value}"));
            default
        }
    }
}

impl Settings {
    /// Reads the process environment (after loading `.env` if present).
    ///
    /// # Errors
    /// [`ConfigError`] listing every invalid variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by dotenvy's
        // own parse error only when it exists.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError {
                problems: vec![format!(".env: {e}")],
            });
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any name → value lookup (the environment, or a
    /// map in tests).
    ///
    /// # Errors
    /// [`ConfigError`] listing every invalid variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader {
            lookup,
            problems: Vec::new(),
        };
        let environment = r.parsed(
            "ENVIRONMENT",
            Environment::Development,
            "expected development, production or test",
        );
        let production = environment == Environment::Production;
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);

        let database_url = r.string("DATABASE_URL", DEFAULT_DATABASE_URL);
        if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
            || database_url.starts_with("sqlite:"))
        {
            r.problems
                .push("DATABASE_URL: expected a postgres:// or sqlite: URL".into());
        }
        let log_level = r.string("LOG_LEVEL", "info");
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            r.problems.push(format!(
                "LOG_LEVEL: expected a level such as info or debug, got {log_level:?}"
            ));
        }

        let settings = Self {
            app_name: r.string("APP_NAME", "Pure Async REST API"),
            environment,
            debug: r.bool("DEBUG", false),
            host: r.string("HOST", "0.0.0.0"),
            port: r.parsed("PORT", 8000, "expected a port number from 0 to 65535"),
            database_url,
            db_pool_size: r.ranged("DB_POOL_SIZE", 10, 1..=1000),
            db_acquire_timeout: Duration::from_millis(r.ranged(
                "DB_ACQUIRE_TIMEOUT_MS",
                3000,
                1..=600_000,
            )),
            db_echo: r.bool("DB_ECHO", false),
            log_level,
            log_json: r.bool("LOG_JSON", production),
            jwt_private_key_path: PathBuf::from(
                r.string("JWT_PRIVATE_KEY_PATH", "keys/private_key.pem"),
            ),
            jwt_public_key_path: PathBuf::from(
                r.string("JWT_PUBLIC_KEY_PATH", "keys/public_key.pem"),
            ),
            jwt_private_key_password: r.raw("JWT_PRIVATE_KEY_PASSWORD").map(Secret::new),
            access_token_expire_minutes: r.ranged("ACCESS_TOKEN_EXPIRE_MINUTES", 1440, 1..=525_600),
            jwt_leeway_seconds: r.ranged("JWT_LEEWAY_SECONDS", 0, 0..=300),
            bcrypt_cost: r.ranged("BCRYPT_COST", 12, 4..=31),
            auto_migrate: r.bool("AUTO_MIGRATE", !production),
            max_body_bytes: r.ranged("MAX_BODY_BYTES", 64 * 1024, 1024..=16 * 1024 * 1024),
            workers: r.ranged("WORKERS", cores, 1..=256),
            shutdown_timeout: Duration::from_secs(r.ranged(
                "SHUTDOWN_TIMEOUT_SECONDS",
                30,
                0..=3600,
            )),
            health_timeout: Duration::from_millis(r.ranged("HEALTH_TIMEOUT_MS", 2000, 1..=60_000)),
            metrics_enabled: r.bool("METRICS_ENABLED", true),
        };
        if r.problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError {
                problems: r.problems,
            })
        }
    }

    /// Whether the database URL names an embedded SQLite file.
    #[must_use]
    pub fn uses_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = from(&[]).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.host, "0.0.0.0");
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.access_token_expire_minutes, 1440);
        assert_eq!(s.bcrypt_cost, 12);
        assert_eq!(s.max_body_bytes, 65_536);
        assert_eq!(s.environment, Environment::Development);
        assert!(s.auto_migrate);
        assert!(!s.log_json);
    }

    #[test]
    fn production_turns_auto_migrate_off_and_json_logs_on() {
        let s = from(&[("ENVIRONMENT", "production")]).unwrap();
        assert!(!s.auto_migrate);
        assert!(s.log_json);
        let s = from(&[("ENVIRONMENT", "production"), ("AUTO_MIGRATE", "true")]).unwrap();
        assert!(s.auto_migrate);
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let err = from(&[
            ("PORT", "http"),
            ("BCRYPT_COST", "3"),
            ("DEBUG", "maybe"),
            ("DATABASE_URL", "mysql://x"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for name in ["PORT", "BCRYPT_COST", "DEBUG", "DATABASE_URL"] {
            assert!(text.contains(name), "{name} missing from: {text}");
        }
        assert_eq!(err.problems.len(), 4);
    }

    #[test]
    fn metrics_are_on_by_default_and_can_be_turned_off() {
        assert!(from(&[]).unwrap().metrics_enabled);
        assert!(
            !from(&[("METRICS_ENABLED", "false")])
                .unwrap()
                .metrics_enabled
        );
        assert!(from(&[("METRICS_ENABLED", "on")]).unwrap().metrics_enabled);
    }

    #[test]
    fn a_bad_metrics_switch_is_reported() {
        let err = from(&[("METRICS_ENABLED", "sometimes")]).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(err.problems[0].starts_with("METRICS_ENABLED:"), "{err}");
    }

    #[test]
    fn the_key_password_is_never_printed() {
        let s = from(&[("JWT_PRIVATE_KEY_PASSWORD", "s3cr3t-pass")]).unwrap();
        assert!(!format!("{s:?}").contains("s3cr3t-pass"));
        assert_eq!(s.jwt_private_key_password.unwrap().expose(), "s3cr3t-pass");
    }
}
