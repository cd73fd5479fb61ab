//! What the composition root is given to run on: the storage (each actix
//! worker's repositories), the clock and the mailer. [`crate::Application::build_with`]
//! takes them as values; [`crate::Application::build`] opens the SeaORM
//! storage the settings describe ([`crate::startup::sea_storage`]), the
//! mailer they describe ([`crate::startup::mailer`]) and the system clock.

use std::sync::Arc;

use async_trait::async_trait;
use domain::ports::{Clock, Mailer, Outbox, Repositories, StorePruner};

pub use crate::inbound::metrics::PoolStats;

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

    /// The pruner of the background housekeeping, for the runtime this is
    /// called on (the server's main one, not a worker's). By default the
    /// repositories' own; a store with a pool per worker gives it a pool of
    /// its own instead.
    ///
    /// # Errors
    /// When it cannot be made (the task retries at its next pass).
    async fn pruner(&self) -> anyhow::Result<Arc<dyn StorePruner>> {
        Ok(self.repositories_for_this_worker().await?.pruner)
    }

    /// The outbox of the mail worker, for the runtime this is called on (the
    /// server's main one). By default the repositories' own; a store with a
    /// pool per worker gives it a pool of its own instead.
    ///
    /// # Errors
    /// When it cannot be made (the worker retries).
    async fn outbox(&self) -> anyhow::Result<Arc<dyn Outbox>> {
        Ok(self.repositories_for_this_worker().await?.outbox)
    }

    /// Connection-pool numbers for the metrics; `None` for a store without a
    /// pool (or before any pool exists).
    fn pool_stats(&self) -> Option<PoolStats>;

    /// Closes what it holds, at shutdown, after the server drained.
    async fn close(&self);

    /// `"postgres"`, `"sqlite"`, `"memory"`: for the "listening" log line.
    fn kind(&self) -> &'static str;
}

/// The driven adapters an [`Application`](crate::Application) is built
/// over.
#[derive(Clone)]
pub struct Adapters {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    /// Where the outbox worker delivers mail.
    pub mailer: Arc<dyn Mailer>,
}
