//! Which database server the tests use, decided once per process:
//!
//! 1. `TEST_DATABASE_URL`, when set: a PostgreSQL server (or, if it is a
//!    `sqlite:` URL, the SQLite fallback on purpose);
//! 2. `DATABASE_URL`, when it is a PostgreSQL URL;
//! 3. a PostgreSQL container, when a Docker engine answers within 2 s;
//! 4. SQLite files in temporary directories.
//!
//! The choice is printed once to stderr, without the URL (it may hold a
//! password).
//!
//! A server on the loopback interface whose URL does not choose an `sslmode`
//! is used without TLS (`sslmode=disable` is added). sqlx 0.9.0 does not set
//! `TCP_NODELAY` on its sockets (launchbadge/sqlx#4335), so every TLS
//! handshake stalls on delayed ACKs, about 90 ms per connection here; with
//! some six connections per test that was more than half of the PostgreSQL
//! test run, and TLS to a local test server tests nothing of this service.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ImageExt};
use testcontainers_modules::postgres::Postgres;
use tokio::sync::OnceCell;

use crate::connection::{is_postgres_url, is_sqlite_url};

use super::docker;

const DOCKER_TIMEOUT: Duration = Duration::from_secs(2);
// DROP DATABASE ... WITH (FORCE) needs PostgreSQL 13 or later.
const POSTGRES_IMAGE_TAG: &str = "15-alpine";

/// Where the tests' databases live.
pub(super) enum Backend {
    /// A PostgreSQL server; `server_url` names a database there to connect to
    /// for CREATE and DROP DATABASE.
    Postgres { server_url: String },
    /// SQLite files, one temporary directory per test database.
    Sqlite,
}

/// The process's one container. Never dropped (it lives in a static), so it
/// outlives the process unless removed by hand: see the module docs of
/// `testing`.
struct Container(#[allow(dead_code)] ContainerAsync<Postgres>);

static BACKEND: OnceCell<Backend> = OnceCell::const_new();
static CONTAINER: OnceCell<Container> = OnceCell::const_new();

/// The backend of this process, deciding it on the first call.
pub(super) async fn backend() -> &'static Backend {
    BACKEND
        .get_or_init(|| async {
            let (backend, why) = decide().await;
            let name = match backend {
                Backend::Postgres { .. } => "PostgreSQL",
                Backend::Sqlite => "SQLite",
            };
            // Straight to stderr: libtest captures `eprintln!` in tests,
            // and this line should be seen once per test binary.
            let _ = writeln!(std::io::stderr().lock(), "test database: {name} {why}");
            backend
        })
        .await
}

async fn decide() -> (Backend, String) {
    if let Some(url) = non_empty_var("TEST_DATABASE_URL") {
        if is_sqlite_url(&url) {
            return (
                Backend::Sqlite,
                "(asked for by TEST_DATABASE_URL)".to_owned(),
            );
        }
        // Anything else is taken as PostgreSQL; a wrong URL then fails every
        // test loudly rather than silently testing something else.
        return (
            Backend::Postgres {
                server_url: without_tls_on_loopback(url),
            },
            "from TEST_DATABASE_URL".to_owned(),
        );
    }
    if let Some(url) = non_empty_var("DATABASE_URL").filter(|url| is_postgres_url(url)) {
        return (
            Backend::Postgres {
                server_url: without_tls_on_loopback(url),
            },
            "from DATABASE_URL".to_owned(),
        );
    }
    let docker = tokio::task::spawn_blocking(|| docker::engine_answers(DOCKER_TIMEOUT))
        .await
        .unwrap_or(false);
    if docker {
        return match start_container().await {
            Ok(server_url) => (
                Backend::Postgres { server_url },
                format!("in a Docker container (postgres:{POSTGRES_IMAGE_TAG})"),
            ),
            Err(err) => (
                Backend::Sqlite,
                format!(
                    "in temporary files (Docker answered but the PostgreSQL container did not start: {err:#})"
                ),
            ),
        };
    }
    (
        Backend::Sqlite,
        "in temporary files (no TEST_DATABASE_URL, no PostgreSQL DATABASE_URL, no Docker engine)"
            .to_owned(),
    )
}

/// `url` with `sslmode=disable` added when its host is the loopback interface
/// and it names no `sslmode`; otherwise (or when it does not parse) `url`.
fn without_tls_on_loopback(url: String) -> String {
    let Ok(mut parsed) = url::Url::parse(&url) else {
        return url;
    };
    let loopback = match parsed.host() {
        // postgres: is not a "special" scheme, so an IP address arrives as
        // an opaque host name.
        Some(url::Host::Domain(name)) => {
            name == "localhost"
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback || parsed.query_pairs().any(|(key, _)| key == "sslmode") {
        return url;
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.into()
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

async fn start_container() -> anyhow::Result<String> {
    let container = CONTAINER
        .get_or_try_init(|| async {
            Postgres::default()
                .with_tag(POSTGRES_IMAGE_TAG)
                .start()
                .await
                .map(Container)
                .context("could not start the PostgreSQL container")
        })
        .await?;
    let host = container
        .0
        .get_host()
        .await
        .context("could not get the container's host")?;
    let port = container
        .0
        .get_host_port_ipv4(5432)
        .await
        .context("could not get the container's port")?;
    // The module's documented default credentials.
    Ok(format!(
        "postgres://postgres:postgres@{host}:{port}/postgres"
    ))
}

#[cfg(test)]
mod tests {
    use super::without_tls_on_loopback;

    #[test]
    fn a_loopback_server_without_an_sslmode_is_used_without_tls() {
        for (url, expected) in [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
            ),
            (
                "postgres://u:p@localhost/db?application_name=t",
                "postgres://u:p@localhost/db?application_name=t&sslmode=disable",
            ),
            (
                "postgresql://[::1]:5433/x",
                "postgresql://[::1]:5433/x?sslmode=disable",
            ),
        ] {
            assert_eq!(without_tls_on_loopback(url.to_owned()), expected);
        }
    }

    #[test]
    fn a_remote_server_or_a_chosen_sslmode_is_left_alone() {
        for url in [
            "postgres://postgres@db:5432/postgres",
            "postgres://postgres@10.0.0.5/postgres",
            "postgres://postgres@127.0.0.1/postgres?sslmode=require",
            "not a url",
        ] {
            assert_eq!(without_tls_on_loopback(url.to_owned()), url);
        }
    }
}
