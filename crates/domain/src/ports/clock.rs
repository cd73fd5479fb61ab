//! The time, as a port: the system clock in production, a clock a test sets
//! and moves ([`crate::time::ManualClock`]) in tests.

use chrono::{DateTime, Utc};

/// Tells the time. Every rule that depends on time (session expiry, the
/// refresh grace window, throttling windows, `updated_at`) reads it from
/// the clock its service was given, never from the system directly.
pub trait Clock: Send + Sync {
    /// The current time. Implementations MUST return it with microsecond
    /// precision at most ([`crate::time::truncate`]), so that what is
    /// stored is exactly what is read back from PostgreSQL or SQLite.
    fn now(&self) -> DateTime<Utc>;
}
