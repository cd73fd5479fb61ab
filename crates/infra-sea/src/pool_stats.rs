//! Connection-pool statistics, read on demand (the metrics endpoint reads
//! them at scrape time, so nothing has to keep them up to date).

use sea_orm::{DatabaseConnection, DatabaseConnectionType};

/// A snapshot of the pool behind a [`DatabaseConnection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections currently open (idle or in use).
    pub size: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most connections the pool will open.
    pub max_size: u32,
}

impl PoolStats {
    /// Open connections lent out to queries right now.
    #[must_use]
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// Two pools' numbers together (the pools of one process's workers).
impl std::ops::Add for PoolStats {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            size: self.size.saturating_add(other.size),
            idle: self.idle.saturating_add(other.idle),
            max_size: self.max_size.saturating_add(other.max_size),
        }
    }
}

/// The pool's current numbers; `None` for a connection that is not an sqlx
/// pool (none of the connections this crate opens).
#[must_use]
pub fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    // Matching the variant first makes the getters below infallible (they
    // panic on the wrong backend).
    match &db.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            Some(stats(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ))
        }
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            Some(stats(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ))
        }
        _ => None,
    }
}

fn stats(size: u32, idle: usize, max_size: u32) -> PoolStats {
    PoolStats {
        size,
        idle: u32::try_from(idle).unwrap_or(u32::MAX).min(size),
        max_size,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::testing::TestDatabase;

    #[tokio::test]
    async fn a_fresh_pool_reports_its_connections() {
        let db = TestDatabase::new().await.unwrap();
        let stats = pool_stats(db.connection()).expect("an sqlx pool");
        assert!(stats.size >= 1, "{stats:?}");
        assert!(stats.max_size >= stats.size, "{stats:?}");
        assert_eq!(stats.in_use() + stats.idle, stats.size);
    }

    #[test]
    fn stats_of_two_pools_add_up() {
        let a = stats(3, 1, 4);
        let b = stats(1, 1, 2);
        let sum = a + b;
        assert_eq!((sum.size, sum.idle, sum.max_size), (4, 2, 6));
        assert_eq!(sum.in_use(), 2);
    }
}
