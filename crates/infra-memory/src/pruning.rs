//! [`StorePruner`] in memory: the whole pass (ended sessions with their
//! tokens, old login events, finished mail, ended account tokens) under the
//! store's one lock
//! (there are no row locks to keep short, and one store serves one process).

use async_trait::async_trait;
use domain::RepositoryError;
use domain::ports::{PruneOutcome, PruneRules, Pruned, StorePruner};

use crate::MemoryStore;
use crate::state::OutboxStatus;

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
            let outbox_before = state.outbox.len();
            state.outbox.retain(|_, row| match row.status {
                OutboxStatus::Pending => true,
                OutboxStatus::Sent(at) | OutboxStatus::Failed(at) => {
                    at >= rules.outbox_finished_before
                }
            });
            let account_tokens_before = state.account_tokens.len();
            let ended = rules.account_tokens_ended_before;
            state.account_tokens.retain(|_, token| {
                token.expires_at >= ended
                    && token.used_at.is_none_or(|at| at >= ended)
                    && token.revoked_at.is_none_or(|at| at >= ended)
            });
            Ok(PruneOutcome::Done(Pruned {
                sessions: count(sessions_before - state.sessions.len()),
                refresh_tokens: count(tokens_before - state.tokens.len()),
                login_attempts: count(attempts_before - state.attempt_count()),
                outbox: count(outbox_before - state.outbox.len()),
                account_tokens: count(account_tokens_before - state.account_tokens.len()),
            }))
        })
    }
}

fn count(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}
