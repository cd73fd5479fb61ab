//! Every storage port together, as one adapter crate provides them.

use std::sync::Arc;

use super::{
    AccountTokenRepository, DatabaseProbe, LoginAttempts, Outbox, PersonalTokenRepository,
    SchemaStatus, SecondFactorRepository, SessionRepository, StorePruner, TodoRepository,
    UserRepository,
};

/// The storage ports of one store (one database, or one in-memory store):
/// what a storage adapter crate hands the composition root, and what the
/// port-contract suite tests. Cheap to clone.
///
/// All of them MUST share one store: a user deleted through `users` has no
/// todos left in `todos`, no sessions in `sessions`, no tokens in
/// `account_tokens` or `personal_tokens` and no factor or recovery codes in
/// `second_factors`; the mail that `account_tokens` queues is claimed from
/// `outbox`, and a password reset through `account_tokens` ends the
/// sessions `sessions` sees.
#[derive(Clone)]
pub struct Repositories {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub todos: Arc<dyn TodoRepository>,
    pub attempts: Arc<dyn LoginAttempts>,
    pub probe: Arc<dyn DatabaseProbe>,
    pub schema: Arc<dyn SchemaStatus>,
    pub pruner: Arc<dyn StorePruner>,
    pub account_tokens: Arc<dyn AccountTokenRepository>,
    pub outbox: Arc<dyn Outbox>,
    pub personal_tokens: Arc<dyn PersonalTokenRepository>,
    pub second_factors: Arc<dyn SecondFactorRepository>,
}

impl std::fmt::Debug for Repositories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repositories").finish_non_exhaustive()
    }
}
