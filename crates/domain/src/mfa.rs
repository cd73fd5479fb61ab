//! A second factor: a TOTP secret (RFC 6238) shared with the user's
//! authenticator app, kept sealed (encrypted) at rest, and the recovery codes
//! that stand in for the app when it is lost.
//!
//! Every type here that holds a secret hides it from `Debug` and has no
//! `Display`; the clear values are reached only through an explicit
//! `expose`. The clear secret and recovery codes are wiped from memory when
//! dropped.

use std::fmt;

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

/// The raw bytes of a TOTP shared secret (20 random bytes when made by
/// `Totp::generate_secret`). `Debug` hides them. Deliberately not
/// `PartialEq`: nothing but the TOTP adapter has a reason to compare
/// secrets.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret itself: for the TOTP computation and the sealer only.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// A [`TotpSecret`] encrypted for storage: opaque bytes only the
/// `SecretSealer` that made them (or one holding the same key) can open.
/// `Debug` hides them (a ciphertext is no secret, but it has no business in
/// a log either).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(Vec<u8>);

impl SealedSecret {
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(<redacted>)")
    }
}

/// An RFC 6238 time-step counter: the number of whole periods since the
/// Unix epoch. A code is accepted for a step at most once: the store keeps
/// the last accepted step of each factor, and only a later one is accepted
/// after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TotpStep(pub u64);

/// What an authenticator app needs to enrol a secret: the secret in base32
/// (to type in) and the `otpauth://` URI (for a QR code). Both carry the
/// secret, so `Debug` hides both.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpProvisioning {
    pub secret_base32: String,
    pub otpauth_uri: String,
}

impl fmt::Debug for TotpProvisioning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpProvisioning")
            .field("secret_base32", &"<redacted>")
            .field("otpauth_uri", &"<redacted>")
            .finish()
    }
}

/// A recovery code in clear: shown to the user once, when the factor is
/// confirmed, and presented back instead of a TOTP code. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(Zeroizing<String>);

impl RecoveryCode {
    #[must_use]
    pub fn new(code: String) -> Self {
        Self(Zeroizing::new(code))
    }

    /// The code itself: for the one response that shows it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// The one-way hash of a [`RecoveryCode`], as stored. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RecoveryCodeHash(String);

impl RecoveryCodeHash {
    #[must_use]
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCodeHash(<redacted>)")
    }
}

/// A user's TOTP factor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFactor {
    pub sealed: SealedSecret,
    /// `None` while the enrolment is pending (no code confirmed it yet).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The step of the last code accepted; `None` before the first.
    pub last_used_step: Option<TotpStep>,
}

impl StoredFactor {
    #[must_use]
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_every_secret_type_shows_no_secret() {
        let shown = [
            format!("{:?}", TotpSecret::new(b"s3cr3t-bytes".to_vec())),
            format!("{:?}", SealedSecret::new(b"s3cr3t-bytes".to_vec())),
            format!(
                "{:?}",
                TotpProvisioning {
                    secret_base32: "s3cr3t-bytes".to_owned(),
                    otpauth_uri: "otpauth://totp/x:y?secret=s3cr3t-bytes".to_owned(),
                }
            ),
            format!("{:?}", RecoveryCode::new("s3cr3t-bytes".to_owned())),
            format!("{:?}", RecoveryCodeHash::new("s3cr3t-bytes".to_owned())),
        ];
        for text in shown {
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
    }
}
