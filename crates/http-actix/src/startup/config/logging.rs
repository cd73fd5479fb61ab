//! The logs: how much, and in what shape.

use super::reader::Reader;
use crate::inbound::state::Environment;

/// The logs' settings.
#[derive(Debug, Clone)]
pub struct LoggingSettings {
    /// `LOG_LEVEL`: a level or a `tracing` filter (`info,sqlx=debug`).
    pub level: String,
    /// `LOG_JSON`: one JSON object per line (default: on in production).
    pub json: bool,
}

impl LoggingSettings {
    /// `LOG_LEVEL` (checked by [`check_log_filter`]) and `LOG_JSON`.
    pub(super) fn read(r: &mut Reader<'_>, environment: Environment) -> Self {
        let level = r.string("LOG_LEVEL", "info");
        if let Err(problem) = check_log_filter(&level) {
            r.problem("LOG_LEVEL", problem);
        }
        Self {
            level,
            json: r.bool("LOG_JSON", environment == Environment::Production),
        }
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

#[cfg(test)]
mod tests {
    use super::super::from_pairs as from;

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
}
