//! The store of second factors: each user's TOTP factor (its sealed
//! secret, whether it is confirmed, the last accepted step) and recovery
//! codes (by hash).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::mfa::{RecoveryCodeHash, SealedSecret, StoredFactor, TotpStep};
use crate::user::UserId;

/// Stores at most one TOTP factor per user, and the user's recovery codes.
///
/// What every implementation MUST do:
/// - Keep a factor and codes only while their user exists: deleting the
///   user (through `UserRepository::delete`) deletes them.
/// - Make every conditional method one conditional write (a SQL store: the
///   condition in the `UPDATE`'s `WHERE`; a store without that: check and
///   write under one lock): of any number of concurrent calls, on any
///   instance, that can only succeed once, exactly one returns `Ok(true)`.
///   This is what refuses a replayed TOTP code or a reused recovery code
///   across instances.
/// - Write everything a method writes in one transaction (or under one
///   lock): a confirmation never stores the factor confirmed without its
///   codes, a removal never leaves codes behind.
/// - Keep timestamps to the microsecond (what PostgreSQL keeps).
///
/// A user that does not exist has no factor: the reads answer `None` or
/// 0 and the conditional writes `false`; `save_pending` for one fails
/// (`Unexpected`, a foreign-key violation). A step beyond `i64::MAX` (no
/// clock reaches it) is `Unexpected`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SecondFactorRepository: Send + Sync {
    /// Stores `sealed` as `user`'s pending factor, created at `at`,
    /// replacing a pending one (and its last accepted step). `Ok(false)`,
    /// and nothing written, when the user has a confirmed factor: that one
    /// is only ever replaced after [`remove`](Self::remove).
    async fn save_pending(
        &self,
        user: UserId,
        sealed: SealedSecret,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// The user's factor, pending or confirmed.
    async fn find(&self, user: UserId) -> Result<Option<StoredFactor>, RepositoryError>;

    /// Confirms the user's pending factor at `at` and stores `codes` (all
    /// unused), atomically, only if the pending factor is still `sealed`
    /// (the one the confirming code was checked against, not one a
    /// concurrent enrolment put in its place). `Ok(false)`, and nothing
    /// written, when there is no such pending factor (none, another one, or
    /// already confirmed).
    async fn confirm(
        &self,
        user: UserId,
        sealed: &SealedSecret,
        codes: Vec<RecoveryCodeHash>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Records `step` as the user's last accepted step, only if the factor
    /// (pending or confirmed) has none or an earlier one: `Ok(true)` when
    /// this call accepted it. A conditional write: of concurrent calls with
    /// one step, exactly one wins; a step not later than the last accepted
    /// one is refused (a replayed code, or an older one).
    async fn accept_step(&self, user: UserId, step: TotpStep) -> Result<bool, RepositoryError>;

    /// Marks the user's unused recovery code with this hash used at `at`:
    /// `Ok(true)` when this call used it. A conditional write: of
    /// concurrent uses of one code exactly one wins; a used code, another
    /// user's code or an unknown hash is `Ok(false)`.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &RecoveryCodeHash,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// How many of the user's recovery codes are still unused.
    async fn remaining_recovery_codes(&self, user: UserId) -> Result<u64, RepositoryError>;

    /// Deletes the user's factor and every recovery code of theirs,
    /// atomically: whether there was a factor.
    async fn remove(&self, user: UserId) -> Result<bool, RepositoryError>;

    /// Replaces the user's sealed secret `old` by `new` (the same secret
    /// sealed under the current key), only if it is still `old`: whether it
    /// was. Nothing else of the factor changes.
    async fn reseal(
        &self,
        user: UserId,
        old: &SealedSecret,
        new: SealedSecret,
    ) -> Result<bool, RepositoryError>;
}
