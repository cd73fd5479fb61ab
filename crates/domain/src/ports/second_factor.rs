//! The second factor's material: TOTP codes, the sealing of secrets at
//! rest, and recovery codes.

use chrono::{DateTime, Utc};

use crate::mfa::{
    RecoveryCode, RecoveryCodeHash, SealedSecret, TotpProvisioning, TotpSecret, TotpStep,
};
use crate::user::UserId;

/// RFC 6238 time-based one-time passwords: HMAC-SHA-1, 6 digits, 30-second
/// steps.
///
/// `verify` only says which step a code belongs to. Refusing a replay (a
/// code is accepted only for a step later than the factor's last accepted
/// one, so a code once accepted is refused for the rest of its window, on
/// every instance) is the use case's and the store's job: the use case
/// hands the step to `SecondFactorRepository::accept_step`, a conditional
/// write.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Totp: Send + Sync {
    /// A new secret: 20 bytes (160 bits, RFC 4226's recommendation) from a
    /// CSPRNG.
    fn generate_secret(&self) -> TotpSecret;

    /// The base32 secret and the `otpauth://totp/` URI (Google's Key Uri
    /// Format: label `issuer:label`, parameters `secret`, `issuer`,
    /// `algorithm`, `digits`, `period`) an authenticator app enrols.
    /// Neither `issuer` nor `label` may contain `:`, the label's separator;
    /// an implementation drops any it is given rather than make a URI apps
    /// would read differently.
    fn provisioning(&self, secret: &TotpSecret, issuer: &str, label: &str) -> TotpProvisioning;

    /// The step, among the one of `at`, the one before and the one after
    /// (one step of clock drift either way), whose code is `code`; `None`
    /// when none is, or when `code` is not exactly 6 ASCII digits.
    ///
    /// Implementations MUST compute all three candidates and compare each
    /// with `code` in constant time, with no early exit, so the time taken
    /// says nothing about which (if any) matched. When two candidates share
    /// a code (one chance in a million) the earliest is returned.
    fn verify(&self, secret: &TotpSecret, code: &str, at: DateTime<Utc>) -> Option<TotpStep>;

    /// The step `at` falls in (step 0 for any time before the epoch).
    fn step_at(&self, at: DateTime<Utc>) -> TotpStep;
}

/// A sealed secret could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Not sealed by this sealer's keys, for this owner, or altered: the
    /// stored factor is unusable (the key is wrong or was retired too early,
    /// or the row was tampered with).
    #[error("the sealed secret cannot be opened")]
    Undecryptable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Encrypts TOTP secrets for storage (authenticated encryption), bound to
/// their owner.
///
/// Implementations MUST bind `owner` into the seal (as associated data), so
/// that a sealed secret copied into another user's row does not open
/// there, and MUST detect any change to a sealed value (`Undecryptable`).
/// They hold a current key, which seals, and any number of previous keys,
/// which still open, so the key can be rotated: a factor sealed under a
/// previous key is resealed under the current one (`needs_reseal`) when
/// next used, and the previous key is retired once none is left.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretSealer: Send + Sync {
    /// # Errors
    /// `Unexpected` when the encryption itself fails (it does not, short of
    /// a broken random generator).
    fn seal(&self, secret: &TotpSecret, owner: UserId) -> Result<SealedSecret, SealError>;

    /// # Errors
    /// `Undecryptable` when `sealed` was not sealed for `owner` under the
    /// current or a previous key, or was altered; `Unexpected` otherwise.
    fn open(&self, sealed: &SealedSecret, owner: UserId) -> Result<TotpSecret, SealError>;

    /// Whether `sealed` was sealed under a previous key (and so should be
    /// resealed under the current one). `false` for the current key's seals
    /// and for anything unrecognisable.
    fn needs_reseal(&self, sealed: &SealedSecret) -> bool;
}

/// Recovery codes: single-use stand-ins for a TOTP code.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RecoveryCodes: Send + Sync {
    /// A new set of 10 distinct codes, each of at least 80 random bits,
    /// easy to read and type (no characters that look alike).
    fn generate(&self) -> Vec<RecoveryCode>;

    /// The one-way hash the store keeps of a code as the user typed it:
    /// deterministic, and the same for any spelling of one code (upper or
    /// lower case, with or without its dashes, with spaces). `None` when
    /// `typed` cannot be a code at all (then no lookup is needed).
    fn hash(&self, typed: &str) -> Option<RecoveryCodeHash>;
}
