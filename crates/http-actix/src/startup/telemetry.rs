//! Logging: `tracing` to stdout, as one JSON object per line (`LOG_JSON=true`)
//! or a readable console format. See LOGGING.md for the fields.
//!
//! Colour (ANSI escapes) only when stdout is a terminal and `NO_COLOR` is
//! unset, so that a log written to a file or a pipe stays greppable.
//!
//! actix-http logs every connection that ends in a protocol error (a
//! malformed request head, a client gone mid-request) at ERROR, with no
//! request id: a client could fill the error log at will. Those lines are
//! replaced by [`ConnectionErrors`]: at most one WARN every
//! [`CONNECTION_ERROR_REPORT_INTERVAL`], counting the ones it held back.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The least time between two reports of connection errors.
pub const CONNECTION_ERROR_REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// Where actix-http logs a connection's protocol error.
const DISPATCHER_TARGET: &str = "actix_http::h1::dispatcher";
/// How actix-http's message for it begins.
const STREAM_ERROR_PREFIX: &str = "stream error: ";

/// Installs the global subscriber. A second call (tests) is a no-op.
pub fn init(level: &str, json: bool) {
    // Our crates at the requested level; chatty dependencies no louder than warn
    // unless the filter names them.
    let directives = if level.contains('=') || level.contains(',') {
        level.to_owned()
    } else {
        format!("{level},sqlx=warn,sea_orm=warn,sea_orm_migration=info,actix_server=info")
    };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(use_colour(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ));
    let errors = ConnectionErrors::new(CONNECTION_ERROR_REPORT_INTERVAL);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .finish()
            .with(errors)
            .try_init()
    } else {
        builder.compact().finish().with(errors).try_init()
    };
    // Already installed (a test installed one first): keep that one.
    drop(result);
}

/// <https://no-color.org>: any non-empty `NO_COLOR` turns colour off.
fn use_colour(stdout_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

/// Swallows actix-http's ERROR line for each connection that ends in a
/// protocol error and reports them instead as one WARN at most every
/// `interval`, with how many were held back since the last report.
pub struct ConnectionErrors {
    interval: Duration,
    state: Mutex<ReportState>,
}

#[derive(Default)]
struct ReportState {
    last_report: Option<Instant>,
    held_back: u64,
}

impl ConnectionErrors {
    #[must_use]
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new(ReportState::default()),
        }
    }

    /// Whether to report now, and how many were held back before this one.
    fn admit(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.last_report {
            Some(last) if now.duration_since(last) < self.interval => {
                state.held_back += 1;
                None
            }
            _ => {
                state.last_report = Some(now);
                Some(std::mem::take(&mut state.held_back))
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for ConnectionErrors {
    fn event_enabled(&self, event: &Event<'_>, _ctx: Context<'_, S>) -> bool {
        let Some(error) = connection_error(event) else {
            return true;
        };
        if let Some(held_back) = self.admit(Instant::now()) {
            // The global dispatcher accepts an event from inside another's
            // filtering (only scoped dispatchers refuse re-entry).
            tracing::warn!(
                target: "http_actix::connections",
                error = %error,
                held_back,
                interval_seconds = self.interval.as_secs(),
                "a connection ended in an HTTP protocol error (a malformed request, or a client gone mid-request)"
            );
        }
        false
    }
}

/// The error text of actix-http's "stream error" event, if `event` is one.
fn connection_error(event: &Event<'_>) -> Option<String> {
    let meta = event.metadata();
    if meta.target() != DISPATCHER_TARGET || *meta.level() != Level::ERROR {
        return None;
    }
    let mut message = MessageText(String::new());
    event.record(&mut message);
    message
        .0
        .strip_prefix(STREAM_ERROR_PREFIX)
        .map(str::to_owned)
}

struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("".into())));
        assert!(!use_colour(true, Some("1".into())));
        assert!(!use_colour(false, None));
        assert!(!use_colour(false, Some("1".into())));
    }

    #[test]
    fn one_report_per_interval_counting_the_rest() {
        let errors = ConnectionErrors::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(errors.admit(start), Some(0));
        for ms in [1, 500, 9_999] {
            assert_eq!(errors.admit(start + Duration::from_millis(ms)), None);
        }
        assert_eq!(errors.admit(start + Duration::from_secs(10)), Some(3));
        assert_eq!(errors.admit(start + Duration::from_secs(11)), None);
        assert_eq!(errors.admit(start + Duration::from_secs(25)), Some(1));
    }
}
