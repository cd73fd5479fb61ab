//! Registration, login, refresh-token rotation and token authentication.
//!
//! Every test starts from [`Ports::new`], where each port is a mock with no
//! expectations, so any call a test did not ask for fails it.

mod authenticate;
mod login;
mod refresh;
mod register;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::HASH;
use crate::password::PasswordHash;
use crate::ports::{
    AccessClaims, AccessToken, IssuedToken, MockLoginAttempts, MockPasswordHasher,
    MockRefreshTokens, MockSessionRepository, MockTokenService, MockUserRepository,
};
use crate::services::{AuthPolicy, AuthPorts, AuthService, RetryAfter};
use crate::session::{RefreshToken, RefreshTokenHash};
use crate::time::ManualClock;

/// The refresh token [`material`] generates at login.
const FRESH: &str = "fresh-refresh-token";

/// Every port of the service, as mocks, and the policy.
struct Ports {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenService,
    refresh_tokens: MockRefreshTokens,
    attempts: MockLoginAttempts,
    policy: AuthPolicy,
    mail: crate::services::AccountMailPorts,
    /// Stands at [`super::fixed_now`] unless a test moves it.
    clock: Arc<ManualClock>,
}

impl Ports {
    /// Mocks that refuse every call, and the default policy.
    fn new() -> Self {
        Self {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            hasher: MockPasswordHasher::new(),
            tokens: MockTokenService::new(),
            refresh_tokens: MockRefreshTokens::new(),
            attempts: MockLoginAttempts::new(),
            policy: AuthPolicy::default(),
            mail: super::accepting_account_mail(),
            clock: super::clock(),
        }
    }

    fn service(self) -> AuthService {
        AuthService::new(
            AuthPorts {
                users: Arc::new(self.users),
                sessions: Arc::new(self.sessions),
                hasher: Arc::new(self.hasher),
                tokens: Arc::new(self.tokens),
                refresh_tokens: Arc::new(self.refresh_tokens),
                attempts: Arc::new(self.attempts),
                mail: self.mail,
                clock: self.clock,
            },
            self.policy,
        )
    }
}

/// Deterministic refresh-token material, any number of calls: `generate`
/// gives [`FRESH`], the successor of `t` is `t+1`, its hash `h(t)` and the
/// `jti` paired with it `jti(t)`.
fn material() -> MockRefreshTokens {
    let mut material = MockRefreshTokens::new();
    material
        .expect_generate()
        .returning(|| RefreshToken::new(FRESH.to_owned()));
    material
        .expect_successor()
        .returning(|t| RefreshToken::new(format!("{}+1", t.expose())));
    material.expect_hash().returning(|t| hash_of(t.expose()));
    material
        .expect_token_id()
        .returning(|t| format!("jti({})", t.expose()));
    material
}

/// What [`material`] hashes `token` to.
fn hash_of(token: &str) -> RefreshTokenHash {
    RefreshTokenHash::new(format!("h({token})"))
}

/// What [`signing`] issues for `claims`: a pure function of the claims, as
/// the port requires.
fn signed(claims: &AccessClaims) -> IssuedToken {
    IssuedToken {
        access_token: AccessToken::new(format!(
            "at:{}:{}:{}:{}",
            claims.user.0,
            claims.session.0,
            claims.issued_at.timestamp_micros(),
            claims.token_id
        )),
        expires_in: 900,
    }
}

/// A token service that issues, once, only for claims satisfying `check`,
/// and never verifies.
fn signing(check: impl Fn(&AccessClaims) -> bool + Send + 'static) -> MockTokenService {
    let mut tokens = MockTokenService::new();
    tokens
        .expect_issue()
        .withf(check)
        .times(1)
        .returning(|claims| Ok(signed(claims)));
    tokens.expect_verify().never();
    tokens
}

/// A token service that must never issue nor verify.
fn no_issue() -> MockTokenService {
    let mut tokens = MockTokenService::new();
    tokens.expect_issue().never();
    tokens.expect_verify().never();
    tokens
}

/// A hasher that must never be asked anything.
fn idle_hasher() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().never();
    hasher.expect_verify().never();
    hasher.expect_verify_dummy().never();
    hasher
}

/// A hasher that hashes [`super::PASSWORD`] to [`HASH`], once.
fn hashing_once() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .withf(|password| password.expose() == super::PASSWORD)
        .times(1)
        .returning(|_| Ok(PasswordHash::new(HASH)));
    hasher.expect_verify().never();
    hasher.expect_verify_dummy().never();
    hasher
}

/// `count` event times 30 seconds apart, newest first, the oldest `oldest`
/// (as [`crate::ports::LoginAttempts::recent`] answers them).
fn events(count: u32, oldest: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    (0..count)
        .rev()
        .map(|i| oldest + TimeDelta::seconds(30 * i64::from(i)))
        .collect()
}

/// The wait a throttle computed at the test clock's time must be: until
/// `oldest` leaves `window`, to the microsecond.
fn assert_waits_until_the_oldest_leaves(
    wait: RetryAfter,
    oldest: DateTime<Utc>,
    window: TimeDelta,
) {
    let expected = (oldest + window - super::fixed_now()).to_std().unwrap();
    assert_eq!(wait.0, expected);
}
