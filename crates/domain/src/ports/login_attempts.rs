//! Failed-login bookkeeping shared by every instance (for throttling).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;

/// What a counted event is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A login name, lower-cased (so `Alice` and `alice` count together).
    Account(String),
    /// A client address's failed logins.
    LoginIp(String),
    /// A client address's registrations.
    RegisterIp(String),
    /// Recovery requests (forgot password) for an address, by its
    /// [`fold_case`](crate::user::fold_case) key.
    RecoveryAddress(String),
    /// A client address's recovery requests.
    RecoveryIp(String),
}

impl ThrottleKey {
    /// The key as stored: `account:alice`, `login-ip:203.0.113.9`, ...
    #[must_use]
    pub fn storage_key(&self) -> String {
        match self {
            Self::Account(name) => format!("account:{}", name.to_lowercase()),
            Self::LoginIp(ip) => format!("login-ip:{ip}"),
            Self::RegisterIp(ip) => format!("register-ip:{ip}"),
            Self::RecoveryAddress(address) => format!("recovery:{address}"),
            Self::RecoveryIp(ip) => format!("recovery-ip:{ip}"),
        }
    }
}

/// Counts events per key in a sliding window, in the shared database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// Records one event for each key at `at`.
    async fn record(&self, keys: &[ThrottleKey], at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// The times of the most recent events of `key` since `since`, newest
    /// first, at most `limit` of them.
    async fn recent(
        &self,
        key: &ThrottleKey,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError>;

    /// Forgets every event of `key` (a successful login clears its account).
    async fn clear(&self, key: &ThrottleKey) -> Result<(), RepositoryError>;
}
