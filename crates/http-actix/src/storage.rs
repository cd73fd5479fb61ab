//! What the composition root is given to run on: the storage (each actix
//! worker's repositories) and the clock. [`crate::Application::build_with`]
//! takes them as values; [`crate::Application::build`] opens the SeaORM
//! storage the settings describe ([`crate::sea_storage`]) and the system
//! clock.

use std::sync::Arc;

use async_trait::async_trait;
use domain::ports::{Clock, Repositories};

/// A deployment's storage: hands each actix worker its repositories.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// The repositories for the worker this is called on (called on the
    /// worker's own runtime, once per worker start).
    ///
    /// # Errors
    /// When the worker's repositories cannot be made (the worker does not
    /// start).
    async fn repositories_for_this_worker(&self) -> anyhow::Result<Repositories>;

    /// Connection-pool numbers for the metrics; `None` for a store without a
    /// pool (or before any pool exists).
    fn pool_stats(&self) -> Option<PoolStats>;

    /// Closes what it holds, at shutdown, after the server drained.
    async fn close(&self);

    /// `"postgres"`, `"sqlite"`, `"memory"`: for the "listening" log line.
    fn kind(&self) -> &'static str;
}

/// A snapshot of a storage's connection pools (every worker's together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections currently open (idle or in use).
    pub size: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most connections the pools will open.
    pub max_size: u32,
}

impl PoolStats {
    /// Open connections lent out to queries right now.
    #[must_use]
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// The driven adapters an [`Application`](crate::Application) is built
/// over.
#[derive(Clone)]
pub struct Adapters {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
}
