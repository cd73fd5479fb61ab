//! Passwords in clear (never printed) and their stored hashes.

use std::fmt;

use crate::text::InvalidValue;

/// Registration rules: 8 to 100 characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 100;
/// bcrypt reads at most 72 bytes; longer passwords are refused rather than
/// silently truncated, so two passwords sharing 72 bytes never match each other.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// A password in clear. `Debug` never shows it; there is no `Display`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// A new password, checked against the password policy.
    ///
    /// # Errors
    /// [`InvalidValue`] when shorter than 8 or longer than 100 characters,
    /// longer than 72 bytes in UTF-8, or holding a NUL character.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        // bcrypt keys on a NUL-terminated string: "pw" and "pw\0pw" would collide.
        if value.contains('\0') {
            return Err(InvalidValue::new("must not contain NUL characters"));
        }
        let chars = value.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(InvalidValue::new(format!(
                "must be between {MIN_PASSWORD_CHARS} and {MAX_PASSWORD_CHARS} characters"
            )));
        }
        if value.len() > MAX_PASSWORD_BYTES {
            return Err(InvalidValue::new(format!(
                "must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt's limit)"
            )));
        }
        Ok(Self(value))
    }

    /// A password offered at login: no policy applies, it is only compared.
    #[must_use]
    pub fn candidate(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The clear text, for the hasher adapter only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password hash as stored (bcrypt's modular crypt format).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash produced by the hasher or read back from the store.
    #[must_use]
    pub fn new(hash: impl Into<String>) -> Self {
        Self(hash.into())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_are_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("a".repeat(72)).is_ok());
        assert!(Password::parse("a".repeat(73)).is_err());
    }

    #[test]
    fn more_than_72_bytes_is_refused_and_names_the_limit() {
        // 30 characters, 90 bytes: inside the character rule, over bcrypt's.
        let err = Password::parse("€".repeat(30)).unwrap_err();
        assert!(err.message().contains("72 bytes"), "{err}");
    }

    #[test]
    fn nul_is_refused() {
        assert!(Password::parse("password\0suffix").is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
        let h = PasswordHash::new("$2b$12$secret");
        assert!(!format!("{h:?}").contains("secret"));
    }
}
