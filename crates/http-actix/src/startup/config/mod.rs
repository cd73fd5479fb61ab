//! Settings: read once from the environment (and `.env` in development),
//! validated at start-up with one clear message per bad value, then passed
//! explicitly. Every variable is documented in `.env.example`.
//!
//! [`Settings`] is grouped by what it configures, one file each:
//!
//! - `server.rs`: the HTTP server ([`ServerSettings`]: name, debug, address,
//!   backlog, workers, body limit, timeouts, CORS origins, trusted proxies);
//! - `metrics.rs`: `GET /metrics` ([`MetricsSettings`]);
//! - `database.rs`: the database and its pool ([`DatabaseSettings`], which
//!   builds the pool's [`infra_sea::DatabaseSettings`]);
//! - `logging.rs`: the logs ([`LoggingSettings`]);
//! - `tokens.rs`: keys, access tokens, sessions ([`TokenSettings`], which
//!   builds the token service's [`auth::JwtSettings`]);
//! - `passwords.rs`: bcrypt ([`PasswordSettings`]);
//! - `throttling.rs`: login, registration and recovery limits
//!   ([`ThrottlingSettings`], which builds the domain's
//!   [`domain::services::ThrottlePolicy`] and
//!   [`domain::services::RecoveryPolicy`]);
//! - `mail.rs`: outbound mail, account links, token lifetimes, the
//!   outbox's retries ([`MailSettings`]).
//!
//! [`Settings::environment`] sits above the groups: it is a default of
//! several of them (`LOG_JSON`, `AUTO_MIGRATE`) and is handed to the ones
//! that need it.
//!
//! Each group reads and validates its own variables, its cross-field rules
//! included (`METRICS_ADDR` with `METRICS_ENABLED` in metrics, the
//! `DATABASE_URL` scheme in database, the `LOG_LEVEL` filter in logging), in
//! its `read` over a shared reader (`reader.rs`) that collects every problem
//! instead of stopping at the first. A new group is one file
//! plus one line in [`Settings`] (and its variables in [`VARIABLES`],
//! `.env.example` and the `check-config` report).
//!
//! Problems are reported in one fixed order whatever order the groups are
//! read in: by the position of their variable in [`VARIABLES`].

mod database;
mod dotenv;
mod logging;
mod mail;
mod metrics;
mod passwords;
mod reader;
mod server;
mod throttling;
mod tokens;

pub use self::database::{DEFAULT_DATABASE_URL, DatabaseSettings};
pub use self::logging::LoggingSettings;
pub use self::mail::{DEFAULT_MAIL_DIR, DEFAULT_MAIL_FROM, MailSettings, MailTransport};
pub use self::metrics::MetricsSettings;
pub use self::passwords::PasswordSettings;
use self::reader::Reader;
pub use self::reader::Secret;
pub use self::server::{MAX_HEADER_WAIT, ServerSettings, parse_ip_range, parse_origin};
pub use self::throttling::ThrottlingSettings;
pub use self::tokens::TokenSettings;
pub use crate::inbound::state::Environment;

/// Every setting of the service, by what it configures.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENVIRONMENT`: development, production or test.
    pub environment: Environment,
    pub server: ServerSettings,
    pub metrics: MetricsSettings,
    pub database: DatabaseSettings,
    pub logging: LoggingSettings,
    pub tokens: TokenSettings,
    pub passwords: PasswordSettings,
    pub throttling: ThrottlingSettings,
    pub mail: MailSettings,
}

/// Every variable the settings read, in the order their problems are
/// reported: `ENVIRONMENT`, then `DATABASE_URL` and `LOG_LEVEL`, then the
/// rest; the `METRICS_ADDR` cross-check (with `METRICS_ENABLED`) is last.
/// The order the settings have always reported in, kept so that the same
/// input gives the same `ConfigError` and `check-config` output.
pub const VARIABLES: [&str; 59] = [
    "ENVIRONMENT",
    "DATABASE_URL",
    "LOG_LEVEL",
    "APP_NAME",
    "DEBUG",
    "HOST",
    "PORT",
    "LISTEN_BACKLOG",
    "DB_POOL_SIZE",
    "DB_ACQUIRE_TIMEOUT_MS",
    "DB_STATEMENT_TIMEOUT_MS",
    "DB_ECHO",
    "LOG_JSON",
    "JWT_PRIVATE_KEY_PATH",
    "JWT_PUBLIC_KEY_PATH",
    "JWT_PRIVATE_KEY_PASSWORD",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "JWT_LEEWAY_SECONDS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_VERIFY_KEYS_DIR",
    "JWT_VERIFY_CACHE_SIZE",
    "REFRESH_TOKEN_EXPIRE_DAYS",
    "REFRESH_TOKEN_EXPIRE_SECONDS",
    "REFRESH_REUSE_GRACE_SECONDS",
    "PAT_MAX_PER_USER",
    "REVOKE_PATS_ON_PASSWORD_CHANGE",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_IP",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "REGISTER_MAX_PER_IP",
    "REGISTER_WINDOW_SECONDS",
    "RECOVERY_MAX_PER_ADDRESS",
    "RECOVERY_MAX_PER_IP",
    "RECOVERY_WINDOW_SECONDS",
    "TRUSTED_PROXIES",
    "CORS_ORIGINS",
    "REQUEST_TIMEOUT_SECONDS",
    "BCRYPT_COST",
    "BCRYPT_NICE",
    "AUTO_MIGRATE",
    "MAX_BODY_BYTES",
    "WORKERS",
    "SHUTDOWN_TIMEOUT_SECONDS",
    "HEALTH_TIMEOUT_MS",
    "PRUNE_INTERVAL_SECONDS",
    "SMTP_URL",
    "MAIL_DIR",
    "MAIL_FROM",
    "PASSWORD_RESET_URL",
    "EMAIL_VERIFY_URL",
    "PASSWORD_RESET_TOKEN_MINUTES",
    "EMAIL_VERIFY_TOKEN_HOURS",
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_SECONDS",
    "MAIL_TIMEOUT_SECONDS",
    "REQUIRE_VERIFIED_EMAIL",
    "METRICS_ENABLED",
    "METRICS_ADDR",
];

/// All the problems found in the environment, one line each.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .problems.join("\n  "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Settings {
    /// Reads the process environment (after loading `.env` if present).
    ///
    /// # Errors
    /// [`ConfigError`] listing every invalid variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by its line.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError {
                problems: vec![dotenv::dotenv_problem(&e)],
            });
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any name → value lookup (the environment, or a
    /// map in tests).
    ///
    /// # Errors
    /// [`ConfigError`] listing every invalid variable, in [`VARIABLES`]
    /// order.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader::new(&lookup);
        let environment = r.parsed(
            "ENVIRONMENT",
            Environment::Development,
            "expected development, production or test",
        );
        let server = ServerSettings::read(&mut r);
        let mail = MailSettings::read(&mut r, server.port);
        let settings = Self {
            environment,
            server,
            metrics: MetricsSettings::read(&mut r),
            database: DatabaseSettings::read(&mut r, environment),
            logging: LoggingSettings::read(&mut r, environment),
            tokens: TokenSettings::read(&mut r),
            passwords: PasswordSettings::read(&mut r),
            throttling: ThrottlingSettings::read(&mut r),
            mail,
        };
        let problems = r.into_problems(&VARIABLES);
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }
}

/// The settings from `pairs`, as the tests of every group read them.
#[cfg(test)]
fn from_pairs(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        from_pairs(pairs)
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = from(&[]).unwrap();
        assert_eq!(s.server.port, 8000);
        assert_eq!(s.server.host, "0.0.0.0");
        assert_eq!(s.database.url, DEFAULT_DATABASE_URL);
        assert_eq!(s.tokens.access_token_expire_minutes, 1440);
        assert_eq!(s.passwords.bcrypt_cost, 12);
        assert_eq!(s.passwords.bcrypt_nice, 10);
        assert_eq!(s.server.max_body_bytes, 65_536);
        assert_eq!(s.environment, Environment::Development);
        assert!(s.database.auto_migrate);
        assert!(!s.logging.json);
    }

    #[test]
    fn production_turns_auto_migrate_off_and_json_logs_on() {
        let s = from(&[("ENVIRONMENT", "production")]).unwrap();
        assert!(!s.database.auto_migrate);
        assert!(s.logging.json);
        let s = from(&[("ENVIRONMENT", "production"), ("AUTO_MIGRATE", "true")]).unwrap();
        assert!(s.database.auto_migrate);
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let err = from(&[
            ("PORT", "http"),
            ("BCRYPT_COST", "3"),
            ("BCRYPT_NICE", "20"),
            ("DEBUG", "maybe"),
            ("DATABASE_URL", "mysql://x"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for name in [
            "PORT",
            "BCRYPT_COST",
            "BCRYPT_NICE",
            "DEBUG",
            "DATABASE_URL",
        ] {
            assert!(text.contains(name), "{name} missing from: {text}");
        }
        assert_eq!(err.problems.len(), 5);
    }

    #[test]
    fn auth_defaults_are_the_documented_ones() {
        let s = from(&[]).unwrap();
        assert_eq!(s.tokens.issuer, "todo-api");
        assert_eq!(s.tokens.audience, "todo-api");
        assert_eq!(
            s.tokens.verify_keys_dir,
            std::path::PathBuf::from("keys/retired")
        );
        assert_eq!(s.tokens.refresh_token_expire_days, 30);
        assert_eq!(s.tokens.refresh_reuse_grace_seconds, 10);
        assert_eq!(s.throttling.login_max_failures_per_account, 5);
        assert_eq!(s.throttling.login_max_failures_per_ip, 20);
        assert_eq!(s.throttling.login_failure_window_seconds, 900);
        assert_eq!(s.throttling.register_max_per_ip, 10);
        assert_eq!(s.throttling.register_window_seconds, 3600);
        assert!(s.server.trusted_proxies.is_empty());
        assert!(s.server.cors_origins.is_empty());
        assert_eq!(s.server.request_timeout, std::time::Duration::from_secs(30));
    }

    #[test]
    fn out_of_range_auth_settings_are_reported() {
        let err = from(&[
            ("REFRESH_TOKEN_EXPIRE_DAYS", "0"),
            ("REFRESH_REUSE_GRACE_SECONDS", "-1"),
            ("LOGIN_FAILURE_WINDOW_SECONDS", "0"),
            ("REQUEST_TIMEOUT_SECONDS", "0"),
            ("LOGIN_MAX_FAILURES_PER_IP", "many"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 5, "{err}");
    }

    #[test]
    fn problems_come_in_one_fixed_order_whatever_the_group() {
        // One bad value in every group, in no particular order; the problems
        // come ENVIRONMENT first, then DATABASE_URL and LOG_LEVEL, then the
        // other variables in their order, the METRICS_ADDR cross-check last.
        let err = from(&[
            ("METRICS_ADDR", "127.0.0.1:9100"),
            ("METRICS_ENABLED", "false"),
            ("HEALTH_TIMEOUT_MS", "0"),
            ("WORKERS", "0"),
            ("AUTO_MIGRATE", "sometimes"),
            ("BCRYPT_COST", "3"),
            ("CORS_ORIGINS", "*"),
            ("TRUSTED_PROXIES", "proxy.internal, 10.0.0.0/33"),
            ("REGISTER_WINDOW_SECONDS", "0"),
            ("JWT_ISSUER", "a\tb"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "soon"),
            ("LOG_JSON", "maybe"),
            ("DB_ECHO", "perhaps"),
            ("DB_POOL_SIZE", "0"),
            ("PORT", "http"),
            ("DEBUG", "maybe"),
            ("LOG_LEVEL", "verbose"),
            ("DATABASE_URL", "mysql://x"),
            ("ENVIRONMENT", "staging"),
        ])
        .unwrap_err();
        let expected = [
            "ENVIRONMENT: expected development, production or test, got \"staging\" (expected one of development, production, test)",
            "DATABASE_URL: expected a postgres:// or sqlite: URL",
            "LOG_LEVEL: \"verbose\" is not a level in \"verbose\"; expected trace, debug, info, warn, error or off, or a filter such as info,sqlx=debug",
            "DEBUG: expected true or false, got \"maybe\"",
            "PORT: expected a port number from 0 to 65535, got \"http\" (invalid digit found in string)",
            "DB_POOL_SIZE: expected a whole number from 1 to 1000, got 0",
            "DB_ECHO: expected true or false, got \"perhaps\"",
            "LOG_JSON: expected true or false, got \"maybe\"",
            "ACCESS_TOKEN_EXPIRE_MINUTES: expected a whole number from 1 to 525600, got \"soon\" (invalid digit found in string)",
            "JWT_ISSUER: expected at most 256 bytes without control characters",
            "REGISTER_WINDOW_SECONDS: expected a whole number from 1 to 604800, got 0",
            "TRUSTED_PROXIES: expected comma-separated IP addresses or CIDR ranges, got \"proxy.internal\"",
            "TRUSTED_PROXIES: expected comma-separated IP addresses or CIDR ranges, got \"10.0.0.0/33\"",
            "CORS_ORIGINS: expected comma-separated origins such as https://app.example.com (http or https, a lower-case host, an optional port; no path, no *), got \"*\"",
            "BCRYPT_COST: expected a whole number from 4 to 31, got 3",
            "AUTO_MIGRATE: expected true or false, got \"sometimes\"",
            "WORKERS: expected a whole number from 1 to 256, got 0",
            "HEALTH_TIMEOUT_MS: expected a whole number from 1 to 60000, got 0",
            "METRICS_ADDR: set, but METRICS_ENABLED=false turns the metrics off; unset one of the two",
        ];
        assert_eq!(err.problems, expected);
    }

    #[test]
    fn the_order_lists_every_variable_read_and_only_those() {
        // A variable missing from VARIABLES would have its problems sorted
        // last, silently.
        let asked = RefCell::new(Vec::new());
        Settings::from_lookup(|name| {
            asked.borrow_mut().push(name.to_owned());
            None
        })
        .unwrap();
        let mut asked = asked.into_inner();
        asked.sort();
        asked.dedup();
        let mut listed: Vec<String> = VARIABLES.iter().map(|&name| name.to_owned()).collect();
        listed.sort();
        assert_eq!(asked, listed);
    }
}
