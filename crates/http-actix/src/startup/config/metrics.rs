//! The Prometheus metrics: whether they are served, and where.

use std::net::SocketAddr;

use super::reader::Reader;

/// Where `GET /metrics` is served, if at all.
#[derive(Debug, Clone)]
pub struct MetricsSettings {
    /// Serve Prometheus metrics at `GET /metrics`.
    pub enabled: bool,
    /// `METRICS_ADDR`: serve `/metrics` on this address of its own (e.g.
    /// `127.0.0.1:9100`) and not on the API's listener; unset: on the API's.
    pub addr: Option<SocketAddr>,
}

impl MetricsSettings {
    /// `METRICS_ENABLED` and `METRICS_ADDR`; an address for metrics that are
    /// off is a mistake, not a silent no-op.
    pub(super) fn read(r: &mut Reader<'_>) -> Self {
        let enabled = r.bool("METRICS_ENABLED", true);
        let addr = r
            .raw("METRICS_ADDR")
            .and_then(|raw| match raw.trim().parse::<SocketAddr>() {
                Ok(addr) => Some(addr),
                Err(_) => {
                    r.problem(
                        "METRICS_ADDR",
                        format_args!(
                            "expected an IP address and port such as 127.0.0.1:9100, got {raw:?}"
                        ),
                    );
                    None
                }
            });
        if addr.is_some() && !enabled {
            r.problem(
                "METRICS_ADDR",
                "set, but METRICS_ENABLED=false turns the metrics off; unset one of the two",
            );
        }
        Self { enabled, addr }
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as from;

    #[test]
    fn metrics_are_on_by_default_and_can_be_turned_off() {
        assert!(from(&[]).unwrap().metrics.enabled);
        assert!(
            !from(&[("METRICS_ENABLED", "false")])
                .unwrap()
                .metrics
                .enabled
        );
        assert!(from(&[("METRICS_ENABLED", "on")]).unwrap().metrics.enabled);
    }

    #[test]
    fn a_bad_metrics_switch_is_reported() {
        let err = from(&[("METRICS_ENABLED", "sometimes")]).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(err.problems[0].starts_with("METRICS_ENABLED:"), "{err}");
    }
}
