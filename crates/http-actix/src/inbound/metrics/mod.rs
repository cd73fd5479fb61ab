//! Prometheus metrics, served as text at `GET /metrics` when
//! `METRICS_ENABLED` (the default).
//!
//! Each [`Application`](crate::Application) owns its own [`Registry`]: there
//! is no process-global recorder, so the many applications a test process
//! starts never see each other's numbers, and a test can assert exact
//! values.
//!
//! - `http_requests_total{method, route, status}` and
//!   `http_request_duration_seconds{method, route}` are recorded by the
//!   request-context middleware through [`Metrics::observe_request`]. `route`
//!   is the matched route template (`/v1/todos/{id}`), never the raw path,
//!   and [`UNMATCHED_ROUTE`] for requests no route matched; methods outside
//!   the standard set are counted as `OTHER`. Both keep label cardinality
//!   bounded whatever clients send.
//! - `auth_login_failures_total` counts 401 answers of the login route.
//! - `throttled_requests_total{route}` counts 429 answers (login and
//!   registration throttling), by route template.
//! - `pruned_rows_total{table}` counts the rows the background pruning
//!   deleted (`sessions`, `refresh_tokens`, `login_attempts`, `outbox`,
//!   `account_tokens`).
//! - `mail_deliveries_total{outcome}` counts the outbox worker's delivery
//!   attempts (`sent`, `retried`, `failed`); `outbox_messages{status}`
//!   (`pending`, `sent`, `failed`) and `outbox_oldest_pending_age_seconds`
//!   are the outbox as the worker last read it ([`MailMetrics`]).
//! - The `db_pool_*` gauges are read from the pool at scrape time
//!   ([`db_pool`]).
//!
//! Names and labels are documented in `docs/OPERATIONS.md`.

mod db_pool;
mod mail;

pub use db_pool::PoolStats;
pub use mail::MailMetrics;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The `route` label of requests that matched no route (404s of unknown
/// paths, `/metrics` when metrics are off).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Where the pool gauges read their numbers, at scrape time: `None` for
/// no pool (or none yet).
pub type PoolStatsSource = Arc<dyn Fn() -> Option<PoolStats> + Send + Sync>;

/// The route template whose 401s count as failed logins.
pub const LOGIN_ROUTE: &str = "/v1/auth/login";

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets, in seconds: from a cached 1 ms answer to a 10 s stall; a
/// login (bcrypt cost 12) lands around 0.25.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One application's metrics (cheap to clone: every metric is shared).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    login_failures: IntCounter,
    throttled: IntCounterVec,
    pruned: IntCounterVec,
    mail: MailMetrics,
}

impl Metrics {
    /// Registers every metric in a fresh registry; the pool gauges call
    /// `pool_stats` whenever the registry is scraped.
    ///
    /// # Errors
    /// A metric that Prometheus refuses (a bad name or a duplicate); only a
    /// programming error can cause it.
    pub fn new(pool_stats: PoolStatsSource) -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by method, route template and status code.",
            ),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to having its response ready, by method and route template.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let login_failures = IntCounter::new(
            "auth_login_failures_total",
            "Login attempts answered 401 (unknown user, wrong password or inactive account).",
        )?;
        let throttled = IntCounterVec::new(
            Opts::new(
                "throttled_requests_total",
                "Requests refused with 429 by login or registration throttling, by route template.",
            ),
            &["route"],
        )?;
        let pruned = IntCounterVec::new(
            Opts::new(
                "pruned_rows_total",
                "Rows deleted by the background pruning, by table (sessions, refresh_tokens, login_attempts, outbox, account_tokens).",
            ),
            &["table"],
        )?;
        for table in [
            "sessions",
            "refresh_tokens",
            "login_attempts",
            "outbox",
            "account_tokens",
        ] {
            // Present from the start (at 0), so that a rate over it is defined.
            pruned.with_label_values(&[table]);
        }
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(pruned.clone()))?;
        registry.register(Box::new(throttled.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(login_failures.clone()))?;
        registry.register(Box::new(db_pool::PoolCollector::new(pool_stats)?))?;
        let mail = MailMetrics::register(&registry)?;
        Ok(Self {
            registry,
            requests,
            duration,
            login_failures,
            throttled,
            pruned,
            mail,
        })
    }

    /// The outbox worker's metrics.
    #[must_use]
    pub fn mail(&self) -> &MailMetrics {
        &self.mail
    }

    /// Counts the rows one pruning pass deleted.
    pub fn pruned(&self, pruned: &domain::ports::Pruned) {
        for (table, rows) in [
            ("sessions", pruned.sessions),
            ("refresh_tokens", pruned.refresh_tokens),
            ("login_attempts", pruned.login_attempts),
            ("outbox", pruned.outbox),
            ("account_tokens", pruned.account_tokens),
        ] {
            if let Ok(counter) = self.pruned.get_metric_with_label_values(&[table]) {
                counter.inc_by(rows);
            }
        }
    }

    /// Counts one request refused by throttling on `route`.
    pub fn throttled(&self, route: &str) {
        if let Ok(counter) = self.throttled.get_metric_with_label_values(&[route]) {
            counter.inc();
        }
    }

    /// Records one answered request. `route` is the matched route template,
    /// `None` when no route matched.
    pub fn observe_request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let method = method_label(method);
        let route = route.unwrap_or(UNMATCHED_ROUTE);
        // `get_metric_with_label_values` only fails on a wrong label count,
        // which the fixed arrays below rule out; never panic on a request.
        if let Ok(counter) =
            self.requests
                .get_metric_with_label_values(&[method, route, status.as_str()])
        {
            counter.inc();
        }
        if let Ok(histogram) = self.duration.get_metric_with_label_values(&[method, route]) {
            histogram.observe(elapsed.as_secs_f64());
        }
        if status == StatusCode::UNAUTHORIZED && route == LOGIN_ROUTE {
            self.login_failures.inc();
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.throttled(route);
        }
    }

    /// Every metric in the text exposition format.
    ///
    /// # Errors
    /// When a metric family cannot be encoded (only a programming error can
    /// cause it).
    pub fn render(&self) -> prometheus::Result<String> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// Standard methods by name, anything else as `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
