//! Settings: read once from the environment (and `.env` in development),
//! validated at start-up with one clear message per bad value, then passed
//! explicitly. Every variable is documented in `.env.example`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

pub use crate::inbound::client_addr::parse_ip_range;
pub use crate::inbound::state::Environment;

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

/// The longest the server waits for a request's headers, whatever
/// `REQUEST_TIMEOUT_SECONDS` says: slow-header clients (slowloris) are cut
/// off early.
pub const MAX_HEADER_WAIT: Duration = Duration::from_secs(5);

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
    /// `LISTEN_BACKLOG`: connections the kernel queues before they are
    /// accepted (the kernel also caps it at `net.core.somaxconn`).
    pub listen_backlog: u32,
    pub database_url: String,
    pub db_pool_size: u32,
    pub db_acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout` of the pool's connections; `None`
    /// (`DB_STATEMENT_TIMEOUT_MS=0`): no limit.
    pub db_statement_timeout: Option<Duration>,
    pub db_echo: bool,
    pub log_level: String,
    pub log_json: bool,
    pub jwt_private_key_path: PathBuf,
    pub jwt_public_key_path: PathBuf,
    pub jwt_private_key_password: Option<Secret>,
    pub access_token_expire_minutes: u64,
    pub jwt_leeway_seconds: u64,
    /// `iss` of the access tokens issued, and required of those received.
    pub jwt_issuer: String,
    /// `aud` of the access tokens issued, and required of those received.
    pub jwt_audience: String,
    /// Retired public keys (PEM files) still accepted for verification and
    /// published in the JWKS. A missing directory means none.
    pub jwt_verify_keys_dir: PathBuf,
    /// How many verified access tokens to remember, so that the same token
    /// skips the signature check next time (never the session check); 0: off.
    pub jwt_verify_cache_size: usize,
    /// How long a session, and so its refresh tokens, lives from login.
    pub refresh_token_expire_days: u64,
    /// How long a spent refresh token may be replayed for the same answer.
    pub refresh_reuse_grace_seconds: u64,
    /// Failed logins per account within the window before 429 (0: no limit).
    pub login_max_failures_per_account: u32,
    /// Failed logins per client address within the window before 429 (0: no limit).
    pub login_max_failures_per_ip: u32,
    pub login_failure_window_seconds: u64,
    /// Registrations per client address within the window before 429 (0: no limit).
    pub register_max_per_ip: u32,
    pub register_window_seconds: u64,
    /// Peers whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed to call the API from a browser (exact `scheme://host[:port]`).
    pub cors_origins: Vec<String>,
    /// The longest a request may take once its headers are in: reading the
    /// body and handling it (408 beyond). The headers themselves must arrive
    /// within the smaller of this and [`MAX_HEADER_WAIT`].
    pub request_timeout: Duration,
    pub bcrypt_cost: u32,
    /// The nice value (0..=19) of the password hashing threads: how far
    /// logins yield to other requests when the CPUs are saturated.
    pub bcrypt_nice: u8,
    pub auto_migrate: bool,
    pub max_body_bytes: usize,
    pub workers: usize,
    pub shutdown_timeout: Duration,
    pub health_timeout: Duration,
    /// Serve Prometheus metrics at `GET /metrics`.
    pub metrics_enabled: bool,
    /// `METRICS_ADDR`: serve `/metrics` on this address of its own (e.g.
    /// `127.0.0.1:9100`) and not on the API's listener; unset: on the API's.
    pub metrics_addr: Option<SocketAddr>,
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

    /// A name carried in tokens: 1..=256 bytes, no control characters.
    fn token_name(&mut self, name: &str, default: &str) -> String {
        let value = self.string(name, default);
        if value.len() > auth::jwt::MAX_NAME_BYTES || value.chars().any(char::is_control) {
            self.problems.push(format!(
                "{name}: expected at most {} bytes without control characters",
                auth::jwt::MAX_NAME_BYTES
            ));
            return default.to_owned();
        }
        value
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

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// A comma-separated list, each item parsed by `parse`; empty items are
    /// skipped.
    fn list<T>(&mut self, name: &str, expected: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
        let Some(raw) = self.raw(name) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match parse(item) {
                Some(value) => items.push(value),
                None => self
                    .problems
                    .push(format!("{name}: {expected}, got {item:?}")),
            }
        }
        items
    }
}

const LOG_LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// `LOG_LEVEL` is a level or a `tracing` filter (`info,sqlx=debug`). The
/// filter syntax reads a bare word as a target name, so a misspelt level
/// (`verbose`) would be accepted and hide every line: a directive without
/// `=` must be a level, and one with `=` must end in a level.
///
/// # Errors
/// What is wrong, for the operator.
fn check_log_filter(filter: &str) -> Result<(), String> {
    let expected = "expected trace, debug, info, warn, error or off, or a filter such as \
                    info,sqlx=debug";
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = directive
            .rsplit_once('=')
            .map_or(directive, |(_, level)| level);
        if !LOG_LEVELS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(level.trim()))
        {
            return Err(format!(
                "{level:?} is not a level in {filter:?}; {expected}"
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(filter)
        .map(drop)
        .map_err(|e| format!("{filter:?} is not a valid filter ({e}); {expected}"))
}

/// A browser origin exactly as browsers send it: `http` or `https`, a
/// lower-case host (or a bracketed IPv6 address), an optional port, and
/// nothing else (no path, not even `/`; no `*`).
#[must_use]
pub fn parse_origin(item: &str) -> Option<String> {
    let (scheme, authority) = item.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let (_, port) = split_host_port(authority)?;
    let port_ok = port.is_none_or(|p| {
        !p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
    });
    port_ok.then(|| item.to_owned())
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        return match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        };
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let valid = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'));
    valid.then_some((host, port))
}

/// A malformed `.env` as ".env line N: ...". dotenvy's own message gives the
/// offending text and a character index into it (sometimes into the value
/// only), not a line number. The value is not repeated: it may be a secret.
fn dotenv_problem(error: &dotenvy::Error) -> String {
    let dotenvy::Error::LineParse(text, index) = error else {
        return format!(".env: {error}");
    };
    let Some((name, contents)) = dotenv_file() else {
        return format!(".env: {error}");
    };
    let Some((number, line, column)) = dotenv_line(&contents, text, *index) else {
        return format!(".env: {error}");
    };
    match (dotenv_key(line), column) {
        // The error is past the line: dotenvy read on, looking for the
        // closing quote, to the end of the file.
        (Some(key), None) => {
            format!("{name} line {number}: the value of {key} opens a quote that is never closed")
        }
        (Some(key), Some(column)) => format!(
            "{name} line {number}: the value of {key} cannot be parsed at column {column}; a \
             value holding spaces or # must be quoted ({key}=\"two words\")"
        ),
        (None, column) => format!(
            "{name} line {number}: expected NAME=value, NAME made of letters, digits and _{}",
            column.map(|c| format!(" (column {c})")).unwrap_or_default()
        ),
    }
}

/// The `.env` dotenvy loads (the first in the current directory or its
/// parents): how to call it and its contents.
fn dotenv_file() -> Option<(String, String)> {
    let cwd = std::env::current_dir().ok()?;
    let path = cwd
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|path| path.is_file())?;
    let name = if path.parent() == Some(cwd.as_path()) {
        ".env".to_owned()
    } else {
        path.display().to_string()
    };
    Some((name, std::fs::read_to_string(&path).ok()?))
}

/// The 1-based number of the line dotenvy could not parse, the line, and
/// the 1-based column of the error when it is on that line. The reported
/// text starts on that line (a quoted value may span lines); the first line
/// that holds it and does not parse on its own is the one.
fn dotenv_line<'a>(
    contents: &'a str,
    text: &str,
    index: usize,
) -> Option<(usize, &'a str, Option<usize>)> {
    let first = text
        .lines()
        .next()
        .filter(|first| !first.trim().is_empty())?;
    contents.lines().enumerate().find_map(|(i, line)| {
        let offset = line.find(first)?;
        let fails_alone = dotenvy::from_read_iter(line.as_bytes()).any(|item| item.is_err());
        fails_alone.then(|| {
            let column = line[..offset].chars().count() + index + 1;
            (
                i + 1,
                line,
                (column <= line.chars().count() + 1).then_some(column),
            )
        })
    })
}

/// `NAME` of a `NAME=...` (or `export NAME=...`) line.
fn dotenv_key(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let (key, _) = line.split_once('=')?;
    let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    valid.then_some(key)
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
                problems: vec![dotenv_problem(&e)],
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
        if let Err(problem) = check_log_filter(&log_level) {
            r.problems.push(format!("LOG_LEVEL: {problem}"));
        }

        let settings = Self {
            app_name: r.string("APP_NAME", "Pure Async REST API"),
            environment,
            debug: r.bool("DEBUG", false),
            host: r.string("HOST", "0.0.0.0"),
            port: r.parsed("PORT", 8000, "expected a port number from 0 to 65535"),
            listen_backlog: r.ranged("LISTEN_BACKLOG", 1024, 1..=65_535),
            database_url,
            db_pool_size: r.ranged("DB_POOL_SIZE", 10, 1..=1000),
            db_acquire_timeout: Duration::from_millis(r.ranged(
                "DB_ACQUIRE_TIMEOUT_MS",
                3000,
                1..=600_000,
            )),
            db_statement_timeout: match r.ranged("DB_STATEMENT_TIMEOUT_MS", 30_000, 0..=3_600_000) {
                0 => None,
                ms => Some(Duration::from_millis(ms)),
            },
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
            jwt_issuer: r.token_name("JWT_ISSUER", "todo-api"),
            jwt_audience: r.token_name("JWT_AUDIENCE", "todo-api"),
            jwt_verify_keys_dir: PathBuf::from(r.string("JWT_VERIFY_KEYS_DIR", "keys/retired")),
            jwt_verify_cache_size: r.ranged(
                "JWT_VERIFY_CACHE_SIZE",
                10_000,
                0..=auth::jwt::MAX_VERIFIED_CACHE_CAPACITY,
            ),
            refresh_token_expire_days: r.ranged("REFRESH_TOKEN_EXPIRE_DAYS", 30, 1..=3650),
            refresh_reuse_grace_seconds: r.ranged("REFRESH_REUSE_GRACE_SECONDS", 10, 0..=300),
            login_max_failures_per_account: r.ranged(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                5,
                0..=1_000_000,
            ),
            login_max_failures_per_ip: r.ranged("LOGIN_MAX_FAILURES_PER_IP", 20, 0..=1_000_000),
            login_failure_window_seconds: r.ranged(
                "LOGIN_FAILURE_WINDOW_SECONDS",
                900,
                1..=7 * 86_400,
            ),
            register_max_per_ip: r.ranged("REGISTER_MAX_PER_IP", 10, 0..=1_000_000),
            register_window_seconds: r.ranged("REGISTER_WINDOW_SECONDS", 3600, 1..=7 * 86_400),
            trusted_proxies: r.list(
                "TRUSTED_PROXIES",
                "expected comma-separated IP addresses or CIDR ranges",
                parse_ip_range,
            ),
            cors_origins: r.list(
                "CORS_ORIGINS",
                "expected comma-separated origins such as https://app.example.com (http or https, a lower-case host, an optional port; no path, no *)",
                parse_origin,
            ),
            request_timeout: Duration::from_secs(r.ranged("REQUEST_TIMEOUT_SECONDS", 30, 1..=3600)),
            bcrypt_cost: r.ranged("BCRYPT_COST", 12, 4..=31),
            bcrypt_nice: r.ranged(
                "BCRYPT_NICE",
                auth::password::DEFAULT_HASHING_NICE,
                0..=auth::password::MAX_HASHING_NICE,
            ),
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
            metrics_addr: r
                .raw("METRICS_ADDR")
                .and_then(|raw| match raw.trim().parse::<SocketAddr>() {
                    Ok(addr) => Some(addr),
                    Err(_) => {
                        r.problems.push(format!(
                            "METRICS_ADDR: expected an IP address and port such as \
                             127.0.0.1:9100, got {raw:?}"
                        ));
                        None
                    }
                }),
        };
        if settings.metrics_addr.is_some() && !settings.metrics_enabled {
            r.problems.push(
                "METRICS_ADDR: set, but METRICS_ENABLED=false turns the metrics off; \
                 unset one of the two"
                    .into(),
            );
        }
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
    fn log_level_takes_levels_and_filters_and_refuses_misspelt_levels() {
        for good in [
            "info",
            "DEBUG",
            "warn,sqlx=debug",
            "http_actix=trace,info",
            "off",
            "a[b]=info",
        ] {
            assert!(from(&[("LOG_LEVEL", good)]).is_ok(), "{good}");
        }
        for bad in ["verbose", "loud", "info,verbose", "sqlx=loud", "=", "info,"] {
            let result = from(&[("LOG_LEVEL", bad)]);
            if bad == "info," {
                // An empty directive is nothing, not a mistake.
                assert!(result.is_ok());
                continue;
            }
            let err = result.unwrap_err();
            assert!(err.problems[0].starts_with("LOG_LEVEL:"), "{bad}: {err}");
            assert!(
                err.problems[0].contains("trace, debug, info"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = from(&[]).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.host, "0.0.0.0");
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.access_token_expire_minutes, 1440);
        assert_eq!(s.bcrypt_cost, 12);
        assert_eq!(s.bcrypt_nice, 10);
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

    #[test]
    fn auth_defaults_are_the_documented_ones() {
        let s = from(&[]).unwrap();
        assert_eq!(s.jwt_issuer, "todo-api");
        assert_eq!(s.jwt_audience, "todo-api");
        assert_eq!(s.jwt_verify_keys_dir, PathBuf::from("keys/retired"));
        assert_eq!(s.refresh_token_expire_days, 30);
        assert_eq!(s.refresh_reuse_grace_seconds, 10);
        assert_eq!(s.login_max_failures_per_account, 5);
        assert_eq!(s.login_max_failures_per_ip, 20);
        assert_eq!(s.login_failure_window_seconds, 900);
        assert_eq!(s.register_max_per_ip, 10);
        assert_eq!(s.register_window_seconds, 3600);
        assert!(s.trusted_proxies.is_empty());
        assert!(s.cors_origins.is_empty());
        assert_eq!(s.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() {
        let s = from(&[(
            "TRUSTED_PROXIES",
            " 127.0.0.1, 10.1.2.3/8 ,::1,fd00::/8,, ::ffff:192.0.2.1",
        )])
        .unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "127.0.0.1/32",
                "10.0.0.0/8",
                "::1/128",
                "fd00::/8",
                "192.0.2.1/32"
            ]
        );
    }

    #[test]
    fn a_bad_trusted_proxy_is_named() {
        let err =
            from(&[("TRUSTED_PROXIES", "10.0.0.1, proxy.internal, 10.0.0.0/33")]).unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
        assert!(err.problems[0].starts_with("TRUSTED_PROXIES:"), "{err}");
        assert!(err.problems[0].contains("proxy.internal"), "{err}");
        assert!(err.problems[1].contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        let s = from(&[(
            "CORS_ORIGINS",
            "https://app.example.com, http://localhost:3000,http://[::1]:8080",
        )])
        .unwrap();
        assert_eq!(
            s.cors_origins,
            [
                "https://app.example.com",
                "http://localhost:3000",
                "http://[::1]:8080"
            ]
        );
        for bad in [
            "*",
            "null",
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://App.Example.com",
            "https://app.example.com:0",
            "https://app.example.com:99999",
            "https://user@app.example.com",
            "https://*.example.com",
            "https://",
        ] {
            let err = from(&[("CORS_ORIGINS", bad)]).unwrap_err();
            assert!(err.problems[0].starts_with("CORS_ORIGINS:"), "{bad}: {err}");
        }
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
    fn token_names_are_checked() {
        let s = from(&[
            ("JWT_ISSUER", "https://id.example"),
            ("JWT_AUDIENCE", "todo-web"),
        ])
        .unwrap();
        assert_eq!(s.jwt_issuer, "https://id.example");
        assert_eq!(s.jwt_audience, "todo-web");
        let long = "x".repeat(257);
        let err = from(&[("JWT_ISSUER", long.as_str()), ("JWT_AUDIENCE", "a\tb")]).unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
    }

    #[test]
    fn a_limit_of_zero_turns_throttling_off() {
        let s = from(&[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
            ("REGISTER_MAX_PER_IP", "0"),
        ])
        .unwrap();
        assert_eq!(s.login_max_failures_per_account, 0);
        assert_eq!(s.register_max_per_ip, 0);
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
}
