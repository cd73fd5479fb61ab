//! The background housekeeping: a pruning pass every
//! `PRUNE_INTERVAL_SECONDS` (see `domain::services::PruneService` and the
//! `StorePruner` port), logged and counted in `pruned_rows_total`.
//!
//! The task runs on the server's main runtime beside the HTTP workers, over
//! [`Storage::pruner`] (on PostgreSQL a pool of one connection of its own,
//! so a pass never takes a connection from the requests). The first pass
//! comes one interval after start: starting instances do no housekeeping.
//! A failed pass (the database is down) is logged as a warning and the next
//! one retries; instances sharing a database take turns (the adapter's
//! lock), so running many is safe. The task ends with the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::ports::{Clock, PruneOutcome};
use domain::services::{PrunePolicy, PruneService};

use crate::inbound::metrics::Metrics;
use crate::startup::config::Settings;
use crate::startup::storage::Storage;

/// What the rules of a pass are made of, from the settings: ended sessions
/// go a minute after they end, login events once they are older than the
/// adapters' retention (every throttling window, and a day at least).
#[must_use]
pub fn policy(settings: &Settings) -> PrunePolicy {
    PrunePolicy {
        attempts_kept: settings.throttling.events_retention(),
        ..PrunePolicy::default()
    }
}

/// The background task's parts.
pub(crate) struct Housekeeping {
    pub(crate) interval: Duration,
    pub(crate) policy: PrunePolicy,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) metrics: Option<Metrics>,
}

impl Housekeeping {
    /// Runs a pass every interval, forever (the caller drops or aborts it).
    pub(crate) async fn run(self) {
        let start = tokio::time::Instant::now() + self.interval;
        let mut ticks = tokio::time::interval_at(start, self.interval);
        // A pass that overran its interval is not followed by a burst.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut service = None;
        loop {
            ticks.tick().await;
            if service.is_none() {
                match self.storage.pruner().await {
                    Ok(pruner) => {
                        service = Some(PruneService::new(pruner, self.policy, self.clock.clone()));
                    }
                    Err(error) => {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "pruning: the store cannot be opened; the next pass retries"
                        );
                    }
                }
            }
            if let Some(service) = &service {
                // Failures are logged by `pass`; the next tick retries.
                let _ = pass(service, self.metrics.as_ref()).await;
            }
        }
    }
}

/// One pass, logged (and counted in `metrics` when given).
///
/// # Errors
/// The store's, already logged as a warning.
pub async fn pass(
    service: &PruneService,
    metrics: Option<&Metrics>,
) -> Result<PruneOutcome, domain::RepositoryError> {
    let started = Instant::now();
    let outcome = service.run_once().await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &outcome {
        Ok(outcome) => {
            let pruned = outcome.pruned();
            if let Some(metrics) = metrics {
                metrics.pruned(&pruned);
            }
            let busy = matches!(outcome, PruneOutcome::Busy(_));
            if pruned.is_empty() {
                tracing::debug!(busy, elapsed_ms, "pruned nothing");
            } else {
                tracing::info!(
                    sessions = pruned.sessions,
                    refresh_tokens = pruned.refresh_tokens,
                    login_attempts = pruned.login_attempts,
                    outbox = pruned.outbox,
                    account_tokens = pruned.account_tokens,
                    busy,
                    elapsed_ms,
                    "pruned ended sessions, old login attempts, finished mail and ended account tokens"
                );
            }
        }
        Err(error) => {
            tracing::warn!(
                error = format!("{error:#}"),
                elapsed_ms,
                "pruning failed; the next pass retries"
            );
        }
    }
    outcome
}
