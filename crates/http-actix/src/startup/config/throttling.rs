//! The throttling of logins and registrations (counted in the database,
//! shared by every instance). A limit of 0 turns that check off.

use std::time::Duration;

use domain::services::{RecoveryPolicy, ThrottlePolicy};

use super::reader::Reader;

/// The throttling limits and their windows.
#[derive(Debug, Clone)]
pub struct ThrottlingSettings {
    /// Failed logins per account within the window before 429 (0: no limit).
    pub login_max_failures_per_account: u32,
    /// Failed logins per client address within the window before 429 (0: no limit).
    pub login_max_failures_per_ip: u32,
    pub login_failure_window_seconds: u64,
    /// Registrations per client address within the window before 429 (0: no limit).
    pub register_max_per_ip: u32,
    pub register_window_seconds: u64,
    /// Recovery requests (forgot password) per address within the window
    /// before 429 (0: no limit).
    pub recovery_max_per_address: u32,
    /// Recovery requests per client address within the window (0: no limit).
    pub recovery_max_per_ip: u32,
    pub recovery_window_seconds: u64,
}

impl ThrottlingSettings {
    /// `LOGIN_MAX_FAILURES_PER_ACCOUNT`, `LOGIN_MAX_FAILURES_PER_IP`,
    /// `LOGIN_FAILURE_WINDOW_SECONDS`, `REGISTER_MAX_PER_IP`,
    /// `REGISTER_WINDOW_SECONDS`, `RECOVERY_MAX_PER_ADDRESS`,
    /// `RECOVERY_MAX_PER_IP` and `RECOVERY_WINDOW_SECONDS`.
    pub(super) fn read(r: &mut Reader<'_>) -> Self {
        Self {
            login_max_failures_per_account: r.ranged(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                5,
                0..=1_000_000,
            ),
            login_max_failures_per_ip: r.ranged("LOGIN_MAX_FAILURES_PER_IP", 20, 0..=1_000_000),
            login_failure_window_seconds: r.ranged(
                "LOGIN_FAILURE_WINDOW_SECONDS",
                900,
                1..=7 * 86_400,
            ),
            register_max_per_ip: r.ranged("REGISTER_MAX_PER_IP", 10, 0..=1_000_000),
            register_window_seconds: r.ranged("REGISTER_WINDOW_SECONDS", 3600, 1..=7 * 86_400),
            recovery_max_per_address: r.ranged("RECOVERY_MAX_PER_ADDRESS", 5, 0..=1_000_000),
            recovery_max_per_ip: r.ranged("RECOVERY_MAX_PER_IP", 20, 0..=1_000_000),
            recovery_window_seconds: r.ranged("RECOVERY_WINDOW_SECONDS", 3600, 1..=7 * 86_400),
        }
    }

    /// How long login, registration and recovery events are kept (by the stores on
    /// each record, and by pruning): they must outlive the longest window
    /// that counts them, and a day at least.
    #[must_use]
    pub fn events_retention(&self) -> Duration {
        Duration::from_secs(self.login_failure_window_seconds)
            .max(Duration::from_secs(self.register_window_seconds))
            .max(Duration::from_secs(self.recovery_window_seconds))
            .max(Duration::from_secs(24 * 3600))
    }

    /// The limits as the domain's throttle applies them.
    #[must_use]
    pub fn policy(&self) -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures_per_account: self.login_max_failures_per_account,
            max_failures_per_ip: self.login_max_failures_per_ip,
            failure_window: Duration::from_secs(self.login_failure_window_seconds),
            max_registrations_per_ip: self.register_max_per_ip,
            registration_window: Duration::from_secs(self.register_window_seconds),
        }
    }

    /// The recovery limits, with the reset links' lifetime from `mail`.
    #[must_use]
    pub fn recovery_policy(&self, mail: &super::MailSettings) -> RecoveryPolicy {
        RecoveryPolicy {
            reset_token_lifetime: mail.password_reset_lifetime(),
            max_requests_per_address: self.recovery_max_per_address,
            max_requests_per_ip: self.recovery_max_per_ip,
            request_window: Duration::from_secs(self.recovery_window_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as from;

    #[test]
    fn a_limit_of_zero_turns_throttling_off() {
        let s = from(&[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
            ("REGISTER_MAX_PER_IP", "0"),
        ])
        .unwrap();
        assert_eq!(s.throttling.login_max_failures_per_account, 0);
        assert_eq!(s.throttling.register_max_per_ip, 0);
    }
}
