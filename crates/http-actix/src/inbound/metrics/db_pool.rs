//! The database pool gauges, read from the pools (every worker's pool, summed)
//! each time the registry is scraped (nothing on the request path keeps them
//! up to date).

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts};

use super::PoolStatsSource;

/// A snapshot of the connection pools (every worker's together).
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

/// `db_pool_size`, `db_pool_in_use`, `db_pool_idle`, `db_pool_max_size`.
pub(super) struct PoolCollector {
    pool_stats: PoolStatsSource,
    size: IntGauge,
    in_use: IntGauge,
    idle: IntGauge,
    max_size: IntGauge,
    descs: Vec<Desc>,
}

impl PoolCollector {
    pub(super) fn new(pool_stats: PoolStatsSource) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| IntGauge::with_opts(Opts::new(name, help));
        let size = gauge(
            "db_pool_size",
            "Database connections open in the pool (in use + idle).",
        )?;
        let in_use = gauge(
            "db_pool_in_use",
            "Database connections lent out to queries.",
        )?;
        let idle = gauge(
            "db_pool_idle",
            "Open database connections waiting in the pool.",
        )?;
        let max_size = gauge(
            "db_pool_max_size",
            "The most database connections the pool opens (DB_POOL_SIZE).",
        )?;
        let descs = [&size, &in_use, &idle, &max_size]
            .into_iter()
            .flat_map(|g| g.desc().into_iter().cloned())
            .collect();
        Ok(Self {
            pool_stats,
            size,
            in_use,
            idle,
            max_size,
            descs,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        if let Some(stats) = (self.pool_stats)() {
            self.size.set(i64::from(stats.size));
            self.in_use.set(i64::from(stats.in_use()));
            self.idle.set(i64::from(stats.idle));
            self.max_size.set(i64::from(stats.max_size));
        }
        [&self.size, &self.in_use, &self.idle, &self.max_size]
            .into_iter()
            .flat_map(Collector::collect)
            .collect()
    }
}
