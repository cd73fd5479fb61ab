//! Housekeeping: one pass of deleting the rows no rule reads any more (see
//! [`StorePruner`]). The HTTP binary runs it every `PRUNE_INTERVAL_SECONDS`
//! and `api prune` once by hand; this use case only decides the instants.

use std::sync::Arc;
use std::time::Duration;

use crate::error::RepositoryError;
use crate::ports::{Clock, PruneOutcome, PruneRules, StorePruner};
use crate::time;

/// How long ended sessions, counted events, finished mail and ended account
/// tokens are kept.
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
    /// Sent and failed outbox messages are kept this long (their parts are
    /// already erased; recipient, times and last error stay for the
    /// operator).
    pub outbox_kept: Duration,
    /// An account token that was used, revoked or expired less than this
    /// long ago is kept: a link clicked twice, or on an instance whose
    /// clock runs behind, is refused as "no longer valid" rather than found
    /// missing, and the operator can see what happened to it.
    pub ended_token_margin: Duration,
}

impl Default for PrunePolicy {
    fn default() -> Self {
        Self {
            ended_session_margin: Duration::from_secs(60),
            attempts_kept: Duration::from_secs(24 * 3600),
            outbox_kept: Duration::from_secs(7 * 24 * 3600),
            ended_token_margin: Duration::from_secs(24 * 3600),
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
            outbox_finished_before: time::sub_saturating(now, self.policy.outbox_kept),
            account_tokens_ended_before: time::sub_saturating(now, self.policy.ended_token_margin),
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
