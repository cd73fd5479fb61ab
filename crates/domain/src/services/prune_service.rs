//! Housekeeping: one pass of deleting the rows no rule reads any more (see
//! [`StorePruner`]). The HTTP binary runs it every `PRUNE_INTERVAL_SECONDS`
//! and `api prune` once by hand; this use case only decides the instants.

use std::sync::Arc;
use std::time::Duration;

use crate::error::RepositoryError;
use crate::ports::{Clock, PruneOutcome, PruneRules, StorePruner};
use crate::time;

/// How long ended sessions and counted events are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrunePolicy {
    /// A session that ended (expired or was revoked) less than this long
    /// ago is kept: a request that an instance whose clock runs a little
    /// behind still sees as live finds it, and is refused exactly as it
    /// would be without pruning.
    pub ended_session_margin: Duration,
    /// Counted login and registration events are kept this long: at least
    /// the longest throttling window, or the throttle would forget
    /// failures it must still count.
    pub attempts_kept: Duration,
}

impl Default for PrunePolicy {
    fn default() -> Self {
        Self {
            ended_session_margin: Duration::from_secs(60),
            attempts_kept: Duration::from_secs(24 * 3600),
        }
    }
}

/// Runs pruning passes over one store.
#[derive(Clone)]
pub struct PruneService {
    pruner: Arc<dyn StorePruner>,
    policy: PrunePolicy,
    clock: Arc<dyn Clock>,
}

impl PruneService {
    pub fn new(pruner: Arc<dyn StorePruner>, policy: PrunePolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            pruner,
            policy,
            clock,
        }
    }

    /// The rules a pass at `self.clock.now()` applies.
    #[must_use]
    pub fn rules(&self) -> PruneRules {
        let now = self.clock.now();
        PruneRules {
            sessions_ended_before: time::sub_saturating(now, self.policy.ended_session_margin),
            attempts_before: time::sub_saturating(now, self.policy.attempts_kept),
        }
    }

    /// One pass: deletes what [`Self::rules`] names, now.
    ///
    /// # Errors
    /// The store's, when it fails or cannot be reached (a later pass
    /// deletes what this one left).
    pub async fn run_once(&self) -> Result<PruneOutcome, RepositoryError> {
        self.pruner.prune(&self.rules()).await
    }
}
