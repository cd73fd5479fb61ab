//! The outbox worker's metrics: delivery attempts by outcome, and the
//! outbox's contents as the worker last read them.

use chrono::{DateTime, Utc};
use domain::OutboxStats;
use domain::services::Outcome;
use prometheus::{IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// Cheap to clone: every metric is shared.
#[derive(Clone)]
pub struct MailMetrics {
    deliveries: IntCounterVec,
    messages: IntGaugeVec,
    oldest_pending_age: IntGauge,
}

impl MailMetrics {
    pub(super) fn register(registry: &Registry) -> prometheus::Result<Self> {
        let deliveries = IntCounterVec::new(
            Opts::new(
                "mail_deliveries_total",
                "Delivery attempts of the outbox worker, by outcome (sent, retried, failed).",
            ),
            &["outcome"],
        )?;
        let messages = IntGaugeVec::new(
            Opts::new(
                "outbox_messages",
                "Messages in the outbox by status (pending, sent, failed), as last read.",
            ),
            &["status"],
        )?;
        let oldest_pending_age = IntGauge::new(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest pending message in the outbox (0 when none), as last read.",
        )?;
        for outcome in ["sent", "retried", "failed"] {
            deliveries.with_label_values(&[outcome]);
        }
        for status in ["pending", "sent", "failed"] {
            messages.with_label_values(&[status]);
        }
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(messages.clone()))?;
        registry.register(Box::new(oldest_pending_age.clone()))?;
        Ok(Self {
            deliveries,
            messages,
            oldest_pending_age,
        })
    }

    /// Counts one delivery attempt.
    pub fn delivered(&self, outcome: &Outcome) {
        let label = match outcome {
            Outcome::Sent => "sent",
            Outcome::Retry(_) => "retried",
            Outcome::Failed => "failed",
        };
        if let Ok(counter) = self.deliveries.get_metric_with_label_values(&[label]) {
            counter.inc();
        }
    }

    /// Sets the outbox gauges from `stats`, read at `now`.
    pub fn outbox(&self, stats: &OutboxStats, now: DateTime<Utc>) {
        for (status, count) in [
            ("pending", stats.pending),
            ("sent", stats.sent),
            ("failed", stats.failed),
        ] {
            if let Ok(gauge) = self.messages.get_metric_with_label_values(&[status]) {
                gauge.set(i64::try_from(count).unwrap_or(i64::MAX));
            }
        }
        let age = stats
            .oldest_pending
            .map_or(0, |queued| (now - queued).num_seconds().max(0));
        self.oldest_pending_age.set(age);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::inbound::metrics::Metrics;

    #[test]
    fn the_outbox_gauges_show_the_last_stats_and_the_oldest_age() {
        let metrics = Metrics::new(std::sync::Arc::new(|| None)).unwrap();
        let now = domain::time::SystemClock::now();
        metrics.mail().outbox(
            &OutboxStats {
                pending: 3,
                sent: 40,
                failed: 2,
                oldest_pending: Some(now - TimeDelta::seconds(75)),
            },
            now,
        );
        metrics.mail().delivered(&Outcome::Sent);
        metrics.mail().delivered(&Outcome::Retry(now));
        let text = metrics.render().unwrap();
        for line in [
            "outbox_messages{status=\"pending\"} 3",
            "outbox_messages{status=\"sent\"} 40",
            "outbox_messages{status=\"failed\"} 2",
            "outbox_oldest_pending_age_seconds 75",
            "mail_deliveries_total{outcome=\"sent\"} 1",
            "mail_deliveries_total{outcome=\"retried\"} 1",
            "mail_deliveries_total{outcome=\"failed\"} 0",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        metrics.mail().outbox(&OutboxStats::default(), now);
        let text = metrics.render().unwrap();
        assert!(
            text.contains("outbox_oldest_pending_age_seconds 0"),
            "{text}"
        );
    }
}
