//! The database pools that serve requests: on PostgreSQL, one per actix
//! worker, opened on that worker.
//!
//! actix-web runs each worker as a single-threaded tokio runtime of its own,
//! and a connection's socket belongs to the runtime that opened it: that
//! runtime's event loop is the one woken when the database answers. With one
//! pool shared by every worker, a connection opened by worker A and lent to
//! worker B is read through A's loop: each answer wakes A's thread, which
//! then wakes B's (or the answer waits until A's loop comes round, if A is
//! busy). A pool per worker, created on the worker (its connections opened
//! by its own queries or its own background task), keeps every connection on
//! the thread that uses it. On the benchmark's two cores that is +40 % on
//! `GET /v1/todos/{id}` and +30 % on `/v1/auth/me` (BENCHMARKS.md).
//!
//! `DB_POOL_SIZE` stays the limit for the whole process: it is split evenly
//! between the workers (the first ones get the remainder), each worker
//! getting at least one connection. The price is that a burst on one worker
//! cannot borrow another worker's idle connections.
//!
//! SQLite keeps the one pool opened at start-up, shared: its connections are
//! served by threads of their own rather than by a runtime, and an in-memory
//! database exists only inside its one pool.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use infra_sea::{DatabaseSettings, PoolStats};
use sea_orm::DatabaseConnection;

/// How long closing one pool may take at shutdown.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The slot of the housekeeping's pool in `Inner::opened` (no worker's).
const MAINTENANCE_SLOT: u32 = u32::MAX;
/// The slot of the outbox worker's pool.
const MAIL_SLOT: u32 = u32::MAX - 1;

/// Hands each worker its pool and keeps them all, for the metrics and for
/// closing them at shutdown. Cheap to clone (shared).
#[derive(Clone)]
pub struct DbPools {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    /// The pool in use by each worker slot (a restarted worker's pool
    /// replaces the one of the worker it replaces).
    opened: Mutex<Vec<(u32, DatabaseConnection)>>,
    /// Workers served so far: the next one's index.
    next_worker: AtomicU32,
}

enum Mode {
    /// Every worker uses this pool.
    Shared(DatabaseConnection),
    /// Each worker opens its own share of `settings.max_connections`.
    PerWorker {
        settings: DatabaseSettings,
        workers: u32,
    },
}

impl DbPools {
    /// One pool, `pool`, for every worker.
    #[must_use]
    pub fn shared(pool: DatabaseConnection) -> Self {
        Self::new(Mode::Shared(pool.clone()), vec![(0, pool)])
    }

    /// A pool per worker, each of `settings.max_connections / workers`
    /// connections (the remainder to the first workers; at least one each),
    /// keeping `settings.min_connections` open once its background task has
    /// opened them.
    #[must_use]
    pub fn per_worker(settings: DatabaseSettings, workers: usize) -> Self {
        let workers = u32::try_from(workers).unwrap_or(u32::MAX).max(1);
        Self::new(Mode::PerWorker { settings, workers }, Vec::new())
    }

    fn new(mode: Mode, opened: Vec<(u32, DatabaseConnection)>) -> Self {
        Self {
            inner: Arc::new(Inner {
                mode,
                opened: Mutex::new(opened),
                next_worker: AtomicU32::new(0),
            }),
        }
    }

    /// The pool for the worker this is called on (from the worker's own
    /// runtime: a per-worker pool is created here, without connecting).
    ///
    /// # Errors
    /// When the pool cannot be created (the settings were already accepted
    /// by the start-up connection, so in practice never).
    pub async fn for_this_worker(&self) -> anyhow::Result<DatabaseConnection> {
        let (settings, workers) = match &self.inner.mode {
            Mode::Shared(pool) => return Ok(pool.clone()),
            Mode::PerWorker { settings, workers } => (settings, *workers),
        };
        let slot = self.inner.next_worker.fetch_add(1, Ordering::Relaxed) % workers;
        let pool = infra_sea::connect_lazy(&DatabaseSettings {
            max_connections: share(settings.max_connections, workers, slot),
            ..settings.clone()
        })
        .await?;
        let mut opened = self.opened();
        opened.retain(|(s, _)| *s != slot);
        opened.push((slot, pool.clone()));
        Ok(pool)
    }

    /// The pool of the background housekeeping (pruning), for the runtime
    /// this is called on: the shared pool on SQLite; on PostgreSQL a pool
    /// of its own of one connection, beyond `DB_POOL_SIZE` (it never takes
    /// a connection from the requests), opened lazily and let go when idle.
    ///
    /// # Errors
    /// As [`Self::for_this_worker`].
    pub async fn for_maintenance(&self) -> anyhow::Result<DatabaseConnection> {
        self.background(MAINTENANCE_SLOT).await
    }

    /// The pool of the outbox worker, as [`Self::for_maintenance`] but a
    /// pool (of one connection) of its own: mail never waits for a pruning
    /// pass, nor a pass for mail.
    ///
    /// # Errors
    /// As [`Self::for_this_worker`].
    pub async fn for_mail(&self) -> anyhow::Result<DatabaseConnection> {
        self.background(MAIL_SLOT).await
    }

    /// A background task's pool of one connection in `slot` (replacing the
    /// one it had, if the task restarted).
    async fn background(&self, slot: u32) -> anyhow::Result<DatabaseConnection> {
        let settings = match &self.inner.mode {
            Mode::Shared(pool) => return Ok(pool.clone()),
            Mode::PerWorker { settings, .. } => settings,
        };
        let pool = infra_sea::connect_lazy(&DatabaseSettings {
            max_connections: 1,
            min_connections: 0,
            ..settings.clone()
        })
        .await?;
        let mut opened = self.opened();
        opened.retain(|(s, _)| *s != slot);
        opened.push((slot, pool.clone()));
        Ok(pool)
    }

    /// The numbers of every pool together; `None` before any pool exists.
    #[must_use]
    pub fn stats(&self) -> Option<PoolStats> {
        self.opened()
            .iter()
            .filter_map(|(_, pool)| infra_sea::pool_stats(pool))
            .reduce(|a, b| a + b)
    }

    /// Closes every pool (at shutdown, once the server has drained); a pool
    /// that does not close within 5 s is left behind with a warning.
    pub async fn close(&self) {
        let pools = std::mem::take(&mut *self.opened());
        for (_, pool) in pools {
            match tokio::time::timeout(CLOSE_TIMEOUT, pool.close()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "closing a database pool failed"),
                Err(_) => tracing::warn!("a database pool did not close in time"),
            }
        }
    }

    fn opened(&self) -> std::sync::MutexGuard<'_, Vec<(u32, DatabaseConnection)>> {
        // The list is only ever pushed to or taken whole: a panic elsewhere
        // while it was locked cannot have left it half-changed.
        self.inner
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Worker slot `index`'s share of `total` connections between `workers`.
fn share(total: u32, workers: u32, index: u32) -> u32 {
    let base = total / workers;
    let extra = u32::from(index < total % workers);
    (base + extra).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn settings(max_connections: u32) -> DatabaseSettings {
        DatabaseSettings {
            url: "sqlite::memory:".to_owned(),
            max_connections,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(1),
            statement_timeout: None,
            log_statements: false,
        }
    }

    fn max_size(pool: &DatabaseConnection) -> u32 {
        infra_sea::pool_stats(pool).expect("an sqlx pool").max_size
    }

    #[tokio::test]
    async fn each_worker_gets_a_pool_of_its_own_with_its_share() {
        let pools = DbPools::per_worker(settings(3), 2);
        assert!(pools.stats().is_none(), "no worker has started");
        let first = pools.for_this_worker().await.unwrap();
        let second = pools.for_this_worker().await.unwrap();
        assert_eq!((max_size(&first), max_size(&second)), (2, 1));
        assert_eq!(pools.stats().unwrap().max_size, 3);

        // A worker restarted in the first one's slot replaces its pool.
        let restarted = pools.for_this_worker().await.unwrap();
        assert_eq!(max_size(&restarted), 2);
        assert_eq!(pools.stats().unwrap().max_size, 3);

        pools.close().await;
        assert!(pools.stats().is_none());
        assert!(restarted.ping().await.is_err(), "closed at shutdown");
    }

    #[tokio::test]
    async fn housekeeping_gets_one_connection_of_its_own_beside_the_workers() {
        let pools = DbPools::per_worker(settings(3), 2);
        let worker = pools.for_this_worker().await.unwrap();
        let maintenance = pools.for_maintenance().await.unwrap();
        assert_eq!((max_size(&worker), max_size(&maintenance)), (2, 1));
        assert_eq!(pools.stats().unwrap().max_size, 3, "2 of the worker's + 1");
        // Asked again (the task restarted), it replaces its own pool only.
        let again = pools.for_maintenance().await.unwrap();
        assert_eq!(max_size(&again), 1);
        assert_eq!(pools.stats().unwrap().max_size, 3);
        pools.close().await;
        assert!(again.ping().await.is_err(), "closed at shutdown");
    }

    #[tokio::test]
    async fn the_mail_worker_gets_a_connection_of_its_own_beside_the_housekeeping() {
        let pools = DbPools::per_worker(settings(3), 2);
        let _worker = pools.for_this_worker().await.unwrap();
        let _maintenance = pools.for_maintenance().await.unwrap();
        let mail = pools.for_mail().await.unwrap();
        assert_eq!(max_size(&mail), 1);
        assert_eq!(pools.stats().unwrap().max_size, 4, "2 + 1 + 1");
        let again = pools.for_mail().await.unwrap();
        assert_eq!(
            pools.stats().unwrap().max_size,
            4,
            "a restart replaces its own"
        );
        pools.close().await;
        assert!(again.ping().await.is_err(), "closed at shutdown");
    }

    #[tokio::test]
    async fn housekeeping_on_a_shared_pool_uses_that_pool() {
        let pool = infra_sea::connect(&settings(3)).await.unwrap();
        let pools = DbPools::shared(pool);
        let maintenance = pools.for_maintenance().await.unwrap();
        assert_eq!(max_size(&maintenance), 3);
        assert_eq!(pools.stats().unwrap().max_size, 3, "no pool added");
        pools.close().await;
    }

    #[tokio::test]
    async fn a_shared_pool_serves_every_worker() {
        let pool = infra_sea::connect(&settings(3)).await.unwrap();
        let pools = DbPools::shared(pool);
        for _ in 0..3 {
            let worker = pools.for_this_worker().await.unwrap();
            assert_eq!(max_size(&worker), 3);
        }
        assert_eq!(pools.stats().unwrap().max_size, 3);
        pools.close().await;
        assert!(pools.stats().is_none());
    }

    #[test]
    fn the_pool_size_is_split_between_the_workers() {
        let shares = |total, workers| {
            (0..workers)
                .map(|i| share(total, workers, i))
                .collect::<Vec<_>>()
        };
        assert_eq!(shares(10, 2), [5, 5]);
        assert_eq!(shares(9, 2), [5, 4]);
        assert_eq!(shares(8, 3), [3, 3, 2]);
        assert_eq!(shares(7, 1), [7]);
        // Fewer connections than workers: each still gets one.
        assert_eq!(shares(1, 2), [1, 1]);
    }
}
