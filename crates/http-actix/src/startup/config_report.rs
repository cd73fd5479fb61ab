//! `api check-config`: the resolved settings as `NAME=value` lines, in the
//! units the variables take, with secrets redacted (the JWT key password,
//! the password inside `DATABASE_URL`). The output is a valid `.env` file.

use crate::startup::config::{
    DatabaseSettings, Environment, LoggingSettings, MailSettings, MailTransport, MetricsSettings,
    PasswordSettings, ServerSettings, Settings, ThrottlingSettings, TokenSettings,
};

/// What a secret prints as.
pub const REDACTED: &str = "***";

/// One `NAME=value` line per variable, in `.env.example` order.
#[must_use]
pub fn render(settings: &Settings) -> String {
    // Every group destructured without `..`: a new setting does not compile
    // until it is reported here too.
    let Settings {
        environment,
        server:
            ServerSettings {
                app_name,
                debug,
                host,
                port,
                listen_backlog,
                workers,
                max_body_bytes,
                request_timeout,
                shutdown_timeout,
                cors_origins,
                trusted_proxies,
            },
        metrics:
            MetricsSettings {
                enabled: metrics_enabled,
                addr: metrics_addr,
            },
        database:
            DatabaseSettings {
                url: database_url,
                pool_size: db_pool_size,
                acquire_timeout: db_acquire_timeout,
                statement_timeout: db_statement_timeout,
                echo: db_echo,
                auto_migrate,
                health_timeout,
                prune_interval,
            },
        logging:
            LoggingSettings {
                level: log_level,
                json: log_json,
            },
        tokens:
            TokenSettings {
                private_key_path: jwt_private_key_path,
                public_key_path: jwt_public_key_path,
                private_key_password: jwt_private_key_password,
                access_token_expire_minutes,
                leeway_seconds: jwt_leeway_seconds,
                issuer: jwt_issuer,
                audience: jwt_audience,
                verify_keys_dir: jwt_verify_keys_dir,
                verify_cache_size: jwt_verify_cache_size,
                refresh_token_expire_days,
                refresh_token_expire_seconds,
                refresh_reuse_grace_seconds,
                pat_max_per_user,
                revoke_pats_on_password_change,
            },
        passwords: PasswordSettings {
            bcrypt_cost,
            bcrypt_nice,
        },
        throttling:
            ThrottlingSettings {
                login_max_failures_per_account,
                login_max_failures_per_ip,
                login_failure_window_seconds,
                register_max_per_ip,
                register_window_seconds,
                recovery_max_per_address,
                recovery_max_per_ip,
                recovery_window_seconds,
            },
        mail:
            MailSettings {
                transport,
                files_on_purpose: _,
                from: mail_from,
                password_reset_url,
                email_verify_url,
                password_reset_token_minutes,
                email_verify_token_hours,
                max_attempts: mail_max_attempts,
                retry_seconds: mail_retry_seconds,
                timeout_seconds: mail_timeout_seconds,
                require_verified_email,
            },
    } = settings;
    let (smtp_url, mail_dir) = match transport {
        MailTransport::Smtp(url) => (redact_database_url(url.expose()), String::new()),
        MailTransport::Files(dir) => (String::new(), dir.display().to_string()),
    };
    let lines: [(&str, String); 59] = [
        ("APP_NAME", app_name.clone()),
        ("ENVIRONMENT", environment.as_str().to_owned()),
        ("DEBUG", debug.to_string()),
        ("HOST", host.clone()),
        ("PORT", port.to_string()),
        ("LISTEN_BACKLOG", listen_backlog.to_string()),
        ("WORKERS", workers.to_string()),
        ("MAX_BODY_BYTES", max_body_bytes.to_string()),
        (
            "REQUEST_TIMEOUT_SECONDS",
            request_timeout.as_secs().to_string(),
        ),
        (
            "SHUTDOWN_TIMEOUT_SECONDS",
            shutdown_timeout.as_secs().to_string(),
        ),
        ("METRICS_ENABLED", metrics_enabled.to_string()),
        (
            "METRICS_ADDR",
            metrics_addr.map(|a| a.to_string()).unwrap_or_default(),
        ),
        ("CORS_ORIGINS", cors_origins.join(",")),
        (
            "TRUSTED_PROXIES",
            trusted_proxies
                .iter()
                .map(|net| {
                    if net.prefix_len() == net.max_prefix_len() {
                        net.addr().to_string()
                    } else {
                        net.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("DATABASE_URL", redact_database_url(database_url)),
        ("DB_POOL_SIZE", db_pool_size.to_string()),
        (
            "DB_ACQUIRE_TIMEOUT_MS",
            db_acquire_timeout.as_millis().to_string(),
        ),
        (
            "DB_STATEMENT_TIMEOUT_MS",
            db_statement_timeout
                .map_or(0, |timeout| timeout.as_millis())
                .to_string(),
        ),
        ("DB_ECHO", db_echo.to_string()),
        ("AUTO_MIGRATE", auto_migrate.to_string()),
        ("HEALTH_TIMEOUT_MS", health_timeout.as_millis().to_string()),
        (
            "PRUNE_INTERVAL_SECONDS",
            prune_interval
                .map_or(0, |every| every.as_secs())
                .to_string(),
        ),
        ("LOG_LEVEL", log_level.clone()),
        ("LOG_JSON", log_json.to_string()),
        (
            "JWT_PRIVATE_KEY_PATH",
            jwt_private_key_path.display().to_string(),
        ),
        (
            "JWT_PUBLIC_KEY_PATH",
            jwt_public_key_path.display().to_string(),
        ),
        (
            "JWT_PRIVATE_KEY_PASSWORD",
            jwt_private_key_password
                .as_ref()
                .map_or_else(String::new, |_| REDACTED.to_owned()),
        ),
        (
            "JWT_VERIFY_KEYS_DIR",
            jwt_verify_keys_dir.display().to_string(),
        ),
        ("JWT_ISSUER", jwt_issuer.clone()),
        ("JWT_AUDIENCE", jwt_audience.clone()),
        (
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            access_token_expire_minutes.to_string(),
        ),
        ("JWT_LEEWAY_SECONDS", jwt_leeway_seconds.to_string()),
        ("JWT_VERIFY_CACHE_SIZE", jwt_verify_cache_size.to_string()),
        (
            "REFRESH_TOKEN_EXPIRE_DAYS",
            refresh_token_expire_days.to_string(),
        ),
        (
            "REFRESH_TOKEN_EXPIRE_SECONDS",
            refresh_token_expire_seconds.map_or_else(String::new, |s| s.to_string()),
        ),
        (
            "REFRESH_REUSE_GRACE_SECONDS",
            refresh_reuse_grace_seconds.to_string(),
        ),
        ("PAT_MAX_PER_USER", pat_max_per_user.to_string()),
        (
            "REVOKE_PATS_ON_PASSWORD_CHANGE",
            revoke_pats_on_password_change.to_string(),
        ),
        ("BCRYPT_COST", bcrypt_cost.to_string()),
        ("BCRYPT_NICE", bcrypt_nice.to_string()),
        (
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            login_max_failures_per_account.to_string(),
        ),
        (
            "LOGIN_MAX_FAILURES_PER_IP",
            login_max_failures_per_ip.to_string(),
        ),
        (
            "LOGIN_FAILURE_WINDOW_SECONDS",
            login_failure_window_seconds.to_string(),
        ),
        ("REGISTER_MAX_PER_IP", register_max_per_ip.to_string()),
        (
            "REGISTER_WINDOW_SECONDS",
            register_window_seconds.to_string(),
        ),
        (
            "RECOVERY_MAX_PER_ADDRESS",
            recovery_max_per_address.to_string(),
        ),
        ("RECOVERY_MAX_PER_IP", recovery_max_per_ip.to_string()),
        (
            "RECOVERY_WINDOW_SECONDS",
            recovery_window_seconds.to_string(),
        ),
        ("SMTP_URL", smtp_url),
        ("MAIL_DIR", mail_dir),
        ("MAIL_FROM", mail_from.clone()),
        ("PASSWORD_RESET_URL", password_reset_url.clone()),
        ("EMAIL_VERIFY_URL", email_verify_url.clone()),
        (
            "PASSWORD_RESET_TOKEN_MINUTES",
            password_reset_token_minutes.to_string(),
        ),
        (
            "EMAIL_VERIFY_TOKEN_HOURS",
            email_verify_token_hours.to_string(),
        ),
        ("MAIL_MAX_ATTEMPTS", mail_max_attempts.to_string()),
        ("MAIL_RETRY_SECONDS", mail_retry_seconds.to_string()),
        ("MAIL_TIMEOUT_SECONDS", mail_timeout_seconds.to_string()),
        ("REQUIRE_VERIFIED_EMAIL", require_verified_email.to_string()),
    ];
    lines
        .iter()
        .map(|(name, value)| format!("{name}={}\n", quoted(value)))
        .collect()
}

/// What `check-config` finds wrong with the files the settings name: the
/// JWT key files must be readable (in development a missing pair is only
/// noted: the server generates one at start), and the retired keys'
/// directory, when it exists, must be a directory.
#[must_use]
pub fn check_files(settings: &Settings) -> FileCheck {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let keys = [
        ("JWT_PRIVATE_KEY_PATH", &settings.tokens.private_key_path),
        ("JWT_PUBLIC_KEY_PATH", &settings.tokens.public_key_path),
    ];
    let both_missing = keys.iter().all(|(_, path)| !path.exists());
    for (name, path) in keys {
        let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        if !path.exists() {
            if both_missing && settings.environment != Environment::Production {
                notes.push(format!(
                    "{name}: {} does not exist yet; the server generates a development key \
                     pair at start",
                    shown.display()
                ));
            } else {
                let dir = shown.parent().unwrap_or(std::path::Path::new("."));
                problems.push(format!(
                    "{name}: {} does not exist; create a key pair with `api keygen --dir {}`",
                    shown.display(),
                    dir.display()
                ));
            }
        } else if let Err(error) = std::fs::read(path) {
            problems.push(format!("{name}: cannot read {}: {error}", shown.display()));
        }
    }
    let retired = &settings.tokens.verify_keys_dir;
    if retired.exists() && !retired.is_dir() {
        problems.push(format!(
            "JWT_VERIFY_KEYS_DIR: {} is not a directory",
            retired.display()
        ));
    }
    FileCheck { problems, notes }
}

/// The outcome of [`check_files`], one line per finding.
#[derive(Debug, Default)]
pub struct FileCheck {
    /// What stops the server from starting.
    pub problems: Vec<String>,
    /// What is fine but worth knowing (keys that will be generated).
    pub notes: Vec<String>,
}

/// The URL with the password of its user-info (`user:password@`) and any
/// `password=` query parameter replaced by [`REDACTED`]. When in doubt it
/// hides more, never less.
#[must_use]
pub fn redact_database_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return redact_query_password(url);
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let (before_query, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
    // The last `@` before the query ends the user-info, so a password with a
    // raw `@` or `/` in it is still covered.
    let redacted = match before_query.rfind('@') {
        Some(at) => {
            let (userinfo, host_and_path) = before_query.split_at(at);
            match userinfo.find(':') {
                Some(colon) => format!("{}:{REDACTED}{host_and_path}", &userinfo[..colon]),
                None => before_query.to_owned(),
            }
        }
        None => before_query.to_owned(),
    };
    format!("{scheme}{redacted}{}", redact_query_password(query))
}

/// `password=...` in a query string (libpq and sqlx accept one).
fn redact_query_password(text: &str) -> String {
    let Some(start) = text.find('?') else {
        return text.to_owned();
    };
    let (path, query) = text.split_at(start + 1);
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                format!("{key}={REDACTED}")
            }
            _ => param.to_owned(),
        })
        .collect();
    format!("{path}{}", params.join("&"))
}

/// The value as `.env` syntax: bare when plain, else double-quoted with
/// `\`, `"` and `$` escaped.
fn quoted(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.,/:@%+=?&*~[]{}".contains(c));
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        Settings::from_lookup(|k| map.get(k).map(|v| (*v).to_owned())).unwrap()
    }

    #[test]
    fn the_database_password_is_redacted() {
        assert_eq!(
            redact_database_url("postgres://user:secret@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(
            redact_database_url("postgresql://user:p@ss/w0rd@db.internal:5432/app?sslmode=require"),
            "postgresql://user:***@db.internal:5432/app?sslmode=require"
        );
        assert_eq!(
            redact_database_url(
                "postgres://db.internal/app?user=u&password=secret&sslmode=require"
            ),
            "postgres://db.internal/app?user=u&password=***&sslmode=require"
        );
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://127.0.0.1/app",
            "sqlite://data/app.db?mode=rwc",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_database_url(url), url);
        }
    }

    #[test]
    fn every_variable_is_one_line_and_secrets_never_show() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://app:hunter2-db@db/app"),
            ("JWT_PRIVATE_KEY_PASSWORD", "hunter2-key"),
            ("METRICS_ENABLED", "off"),
        ]);
        let text = render(&s);
        assert!(!text.contains("hunter2"), "{text}");
        let lines: HashMap<&str, &str> = text.lines().map(|l| l.split_once('=').unwrap()).collect();
        assert_eq!(
            lines.len(),
            crate::startup::config::VARIABLES.len(),
            "{text}"
        );
        assert_eq!(lines["DATABASE_URL"], "postgres://app:***@db/app");
        assert_eq!(lines["JWT_PRIVATE_KEY_PASSWORD"], "***");
        assert_eq!(lines["METRICS_ENABLED"], "false");
        assert_eq!(lines["APP_NAME"], "\"Pure Async REST API\"");
        assert_eq!(lines["DB_ACQUIRE_TIMEOUT_MS"], "3000");
        assert_eq!(lines["DB_STATEMENT_TIMEOUT_MS"], "30000");
        assert_eq!(lines["PRUNE_INTERVAL_SECONDS"], "600");
        assert_eq!(lines["SHUTDOWN_TIMEOUT_SECONDS"], "30");
    }

    #[test]
    fn lists_print_comma_separated_and_read_back_the_same() {
        let s = settings(&[
            ("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1"),
            (
                "CORS_ORIGINS",
                "https://app.example.com,http://localhost:3000",
            ),
        ]);
        let text = render(&s);
        assert!(
            text.contains("\nTRUSTED_PROXIES=127.0.0.1,10.0.0.0/8,::1\n"),
            "{text}"
        );
        assert!(
            text.contains("\nCORS_ORIGINS=https://app.example.com,http://localhost:3000\n"),
            "{text}"
        );
        let lines: HashMap<&str, &str> = text.lines().map(|l| l.split_once('=').unwrap()).collect();
        let again = settings(&[
            ("TRUSTED_PROXIES", lines["TRUSTED_PROXIES"]),
            ("CORS_ORIGINS", lines["CORS_ORIGINS"]),
        ]);
        assert_eq!(again.server.trusted_proxies, s.server.trusted_proxies);
        assert_eq!(again.server.cors_origins, s.server.cors_origins);
    }

    #[test]
    fn auth_settings_are_reported_with_their_defaults() {
        let text = render(&settings(&[]));
        for line in [
            "JWT_ISSUER=todo-api",
            "JWT_AUDIENCE=todo-api",
            "JWT_VERIFY_KEYS_DIR=keys/retired",
            "REFRESH_TOKEN_EXPIRE_DAYS=30",
            "REFRESH_REUSE_GRACE_SECONDS=10",
            "PAT_MAX_PER_USER=100",
            "REVOKE_PATS_ON_PASSWORD_CHANGE=true",
            "LOGIN_MAX_FAILURES_PER_ACCOUNT=5",
            "LOGIN_MAX_FAILURES_PER_IP=20",
            "LOGIN_FAILURE_WINDOW_SECONDS=900",
            "REGISTER_MAX_PER_IP=10",
            "REGISTER_WINDOW_SECONDS=3600",
            "TRUSTED_PROXIES=",
            "CORS_ORIGINS=",
            "REQUEST_TIMEOUT_SECONDS=30",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
    }

    #[test]
    fn every_variable_is_documented_in_env_example_and_the_readme() {
        let env_example = include_str!("../../../../.env.example");
        let readme = include_str!("../../../../README.md");
        let mut previous = 0;
        for line in render(&settings(&[])).lines() {
            let (name, _) = line.split_once('=').unwrap();
            let assignment = format!("{name}=");
            let position = env_example
                .lines()
                .position(|l| l.trim_start_matches('#').starts_with(&assignment));
            let position = position.unwrap_or_else(|| panic!("{name} is not in .env.example"));
            assert!(position > previous, "{name} is out of .env.example's order");
            previous = position;
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in README.md"
            );
        }
    }

    #[test]
    fn an_unset_key_password_prints_empty() {
        let text = render(&settings(&[]));
        assert!(text.contains("\nJWT_PRIVATE_KEY_PASSWORD=\n"), "{text}");
    }

    #[test]
    fn odd_values_are_quoted_and_escaped() {
        assert_eq!(quoted("info"), "info");
        assert_eq!(quoted("a \"b\" $c"), "\"a \\\"b\\\" \\$c\"");
    }

    fn with_keys(dir: &std::path::Path, environment: &str) -> Settings {
        let private = dir.join("keys/private_key.pem");
        let public = dir.join("keys/public_key.pem");
        settings(&[
            ("ENVIRONMENT", environment),
            ("JWT_PRIVATE_KEY_PATH", private.to_str().unwrap()),
            ("JWT_PUBLIC_KEY_PATH", public.to_str().unwrap()),
        ])
    }

    #[test]
    fn missing_keys_are_a_problem_in_production_and_a_note_in_development() {
        let dir = tempfile::tempdir().unwrap();
        let check = check_files(&with_keys(dir.path(), "production"));
        assert_eq!(check.problems.len(), 2, "{check:?}");
        assert!(check.problems[0].contains("api keygen --dir"), "{check:?}");
        assert!(
            check.problems[0].contains(&dir.path().display().to_string()),
            "{check:?}"
        );
        let check = check_files(&with_keys(dir.path(), "development"));
        assert!(check.problems.is_empty(), "{check:?}");
        assert_eq!(check.notes.len(), 2, "{check:?}");
    }

    #[test]
    fn one_key_of_the_pair_missing_or_unreadable_is_a_problem_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keys/private_key.pem")).unwrap();
        let check = check_files(&with_keys(dir.path(), "development"));
        assert_eq!(check.problems.len(), 2, "{check:?}");
        assert!(
            check.problems[0].starts_with("JWT_PRIVATE_KEY_PATH: cannot read"),
            "{check:?}"
        );
        assert!(check.problems[1].contains("does not exist"), "{check:?}");
    }
}
