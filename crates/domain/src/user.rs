//! Users: identifiers, validated fields, the aggregate and its changes.

use chrono::{DateTime, Utc};

use crate::password::PasswordHash;
use crate::text::{InvalidValue, check_text};

/// A user's id (a positive 64-bit integer assigned by the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// A syntactically valid e-mail address, kept as the client wrote it.
/// Uniqueness is case-insensitive (enforced by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// 3 to 100 characters of ASCII letters, digits and underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

pub const MAX_EMAIL_CHARS: usize = 254;

impl Email {
    /// # Errors
    /// [`InvalidValue`] unless the value is an address of the form
    /// `local@domain.tld` of at most 254 characters.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        check_text(&value, 3, MAX_EMAIL_CHARS)
            .map_err(|_| InvalidValue::new("value is not a valid email address"))?;
        let well_formed = email_address::EmailAddress::parse_with_options(
            &value,
            email_address::Options::default().without_display_text(),
        )
        .ok()
        .is_some_and(|address| {
            let domain = address.domain();
            // A public address: a dotted domain, not an IP literal or a bare host.
            domain.contains('.')
                && !domain.starts_with('[')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        });
        if well_formed {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new("value is not a valid email address"))
        }
    }

    /// A value read back from the store, which validated it on the way in.
    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Username {
    /// # Errors
    /// [`InvalidValue`] unless 3..=100 ASCII letters, digits or underscores.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        check_text(&value, 3, 100)?;
        if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new(
                "may contain only letters, digits and underscores",
            ))
        }
    }

    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FullName {
    /// # Errors
    /// [`InvalidValue`] unless 1..=255 characters without NUL.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        check_text(&value, 1, 255)?;
        Ok(Self(value))
    }

    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub username: Username,
    pub full_name: FullName,
    pub password_hash: PasswordHash,
    pub is_active: bool,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user to be inserted; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub username: Username,
    pub full_name: FullName,
    pub password_hash: PasswordHash,
    pub is_active: bool,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

/// The fields of a user that a profile update may change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub email: Option<Email>,
    pub username: Option<Username>,
    pub full_name: Option<FullName>,
    pub is_active: Option<bool>,
    pub is_admin: Option<bool>,
}

impl UserPatch {
    /// Whether the patch touches a field only an administrator may change.
    #[must_use]
    pub fn touches_admin_fields(&self) -> bool {
        self.is_active.is_some() || self.is_admin.is_some()
    }
}

/// A patch ready to be written, with the new `updated_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChanges {
    pub patch: UserPatch,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert!(Email::parse("alice@example.com").is_ok());
        assert!(Email::parse("Alice.Smith+tag@sub.example.org").is_ok());
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@localhost",
            "a b@example.com",
            "alice@example.com\0",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn username_rules() {
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse("Alice_99").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a".repeat(101)).is_err());
        assert!(Username::parse("a".repeat(100)).is_ok());
        for bad in ["bob smith", "bob-smith", "bob@x", "bøb", "bob\0"] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn full_name_rules() {
        assert!(FullName::parse("").is_err());
        assert!(FullName::parse("x".repeat(255)).is_ok());
        assert!(FullName::parse("x".repeat(256)).is_err());
        assert!(FullName::parse("Zoë 👩‍💻 \u{200f}O'Brien").is_ok());
    }
}
