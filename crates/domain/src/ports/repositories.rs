//! The storage ports of one store, together.

use std::sync::Arc;

use super::{
    DatabaseProbe, LoginAttempts, SchemaStatus, SessionRepository, TodoRepository, UserRepository,
};

/// The six storage ports, all backed by one store (one database, or one
/// in-memory state): what an adapter crate hands the application, and what
/// the port-contract suite tests. Cloning shares the store.
#[derive(Clone)]
pub struct Repositories {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub todos: Arc<dyn TodoRepository>,
    pub attempts: Arc<dyn LoginAttempts>,
    pub probe: Arc<dyn DatabaseProbe>,
    pub schema: Arc<dyn SchemaStatus>,
}

impl std::fmt::Debug for Repositories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repositories").finish_non_exhaustive()
    }
}
