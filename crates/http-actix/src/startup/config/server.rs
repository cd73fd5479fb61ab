//! The HTTP server: its name and mode of serving, where it listens, what
//! requests it takes and for how long, and whom it believes or answers
//! across origins.

use std::time::Duration;

use ipnet::IpNet;

use super::reader::Reader;
pub use crate::inbound::client_addr::parse_ip_range;

/// The longest the server waits for a request's headers, whatever
/// `REQUEST_TIMEOUT_SECONDS` says: slow-header clients (slowloris) are cut
/// off early.
pub const MAX_HEADER_WAIT: Duration = Duration::from_secs(5);

/// The HTTP server's settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `APP_NAME`: the name shown in logs.
    pub app_name: String,
    /// `DEBUG`: serves the interactive API docs, Swagger UI at `/docs` and
    /// ReDoc at `/redoc` (404 otherwise). `/openapi.json` is always served.
    pub debug: bool,
    pub host: String,
    pub port: u16,
    /// `LISTEN_BACKLOG`: connections the kernel queues before they are
    /// accepted (the kernel also caps it at `net.core.somaxconn`).
    pub listen_backlog: u32,
    pub workers: usize,
    pub max_body_bytes: usize,
    /// The longest a request may take once its headers are in: reading the
    /// body and handling it (408 beyond). The headers themselves must arrive
    /// within the smaller of this and [`MAX_HEADER_WAIT`].
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    /// Origins allowed to call the API from a browser (exact `scheme://host[:port]`).
    pub cors_origins: Vec<String>,
    /// Peers whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<IpNet>,
}

impl ServerSettings {
    /// `APP_NAME`, `DEBUG`, `HOST`, `PORT`, `LISTEN_BACKLOG`, `WORKERS`
    /// (default: the CPU cores), `MAX_BODY_BYTES`, `REQUEST_TIMEOUT_SECONDS`,
    /// `SHUTDOWN_TIMEOUT_SECONDS`, `CORS_ORIGINS` and `TRUSTED_PROXIES`.
    pub(super) fn read(r: &mut Reader<'_>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            app_name: r.string("APP_NAME", "Pure Async REST API"),
            debug: r.bool("DEBUG", false),
            host: r.string("HOST", "0.0.0.0"),
            port: r.parsed("PORT", 8000, "expected a port number from 0 to 65535"),
            listen_backlog: r.ranged("LISTEN_BACKLOG", 1024, 1..=65_535),
            workers: r.ranged("WORKERS", cores, 1..=256),
            max_body_bytes: r.ranged("MAX_BODY_BYTES", 64 * 1024, 1024..=16 * 1024 * 1024),
            request_timeout: Duration::from_secs(r.ranged("REQUEST_TIMEOUT_SECONDS", 30, 1..=3600)),
            shutdown_timeout: Duration::from_secs(r.ranged(
                "SHUTDOWN_TIMEOUT_SECONDS",
                30,
                0..=3600,
            )),
            cors_origins: r.list(
                "CORS_ORIGINS",
                "expected comma-separated origins such as https://app.example.com (http or https, a lower-case host, an optional port; no path, no *)",
                parse_origin,
            ),
            trusted_proxies: r.list(
                "TRUSTED_PROXIES",
                "expected comma-separated IP addresses or CIDR ranges",
                parse_ip_range,
            ),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::from_pairs as from;

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() {
        let s = from(&[(
            "TRUSTED_PROXIES",
            " 127.0.0.1, 10.1.2.3/8 ,::1,fd00::/8,, ::ffff:192.0.2.1",
        )])
        .unwrap();
        let shown: Vec<String> = s
            .server
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
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
            s.server.cors_origins,
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
}
