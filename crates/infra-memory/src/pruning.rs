//! [`StorePruner`] in memory: the whole pass under the store's one lock
//! (there are no row locks to keep short, and one store serves one process).

use async_trait::async_trait;
use domain::RepositoryError;
use domain::ports::{PruneOutcome, PruneRules, Pruned, StorePruner};

use crate::MemoryStore;

pub(crate) struct MemoryPruner(pub(crate) MemoryStore);

#[async_trait]
impl StorePruner for MemoryPruner {
    async fn prune(&self, rules: &PruneRules) -> Result<PruneOutcome, RepositoryError> {
        let cutoff = rules.sessions_ended_before;
        self.0.with_state(|state| {
            let sessions_before = state.sessions.len();
            state.sessions.retain(|_, session| {
                session.expires_at >= cutoff && session.revoked_at.is_none_or(|at| at >= cutoff)
            });
            let tokens_before = state.tokens.len();
            let sessions = &state.sessions;
            state
                .tokens
                .retain(|_, token| sessions.contains_key(&token.session_id));
            let attempts_before = state.attempt_count();
            state.attempts.retain(|_, events| {
                events.retain(|at| *at >= rules.attempts_before);
                !events.is_empty()
            });
            Ok(PruneOutcome::Done(Pruned {
                sessions: count(sessions_before - state.sessions.len()),
                refresh_tokens: count(tokens_before - state.tokens.len()),
                login_attempts: count(attempts_before - state.attempt_count()),
            }))
        })
    }
}

fn count(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}
