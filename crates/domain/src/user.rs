//! Users: identifiers, validated fields, the aggregate and its changes.

use chrono::{DateTime, Utc};

use crate::password::PasswordHash;
use crate::text::{InvalidValue, check_text};

/// A user's id (a positive 64-bit integer assigned by the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// A syntactically valid e-mail address, kept as the client wrote it.
/// Uniqueness is case-insensitive, by [`fold_case`] (enforced by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// 3 to 100 characters of ASCII letters, digits and underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

pub const MAX_EMAIL_CHARS: usize = 254;

/// The case-insensitive key of a login name (an email or a username): the
/// one definition of "the same, ignoring case" for users.
///
/// Two emails (or two usernames) are the same user's exactly when their
/// keys are equal; `UserRepository::find_by_login` matches a login name by
/// its key. Every adapter MUST use this function, never its store's own
/// folding: SQLite's `lower()` folds ASCII only, and PostgreSQL's depends on
/// the database's `LC_CTYPE` (a `C`-locale database folds ASCII only too), so
/// `Émile@example.org` and `émile@example.org` would be one user on one
/// backend and two on another. SQL stores keep the key in a column of its
/// own, written by the application and unique-indexed.
///
/// The key is the full Unicode lower case of the text ([`str::to_lowercase`]):
/// `É` → `é`, `İ` → `i̇` (two characters), and a word-final capital sigma
/// becomes `ς` (`ΟΔΟΣ` → `οδος`). It is lower-casing, not full case
/// folding: `ß` and `ss` stay different. Folding a key again changes nothing.
///
/// Changing this function changes every stored key: it needs a migration
/// that recomputes them (as `m20250301_000003_case_folded_user_keys` did).
#[must_use]
pub fn fold_case(login: &str) -> String {
    login.to_lowercase()
}

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
    /// The user proved `email` is theirs (a verification link); false for a
    /// new user and after every change of address.
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user to be inserted (unverified); the store assigns the id.
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
    /// The patch changes the address (its `fold_case` key): the store sets
    /// `email_verified` false in the same write.
    pub unverifies_email: bool,
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
    fn fold_case_is_unicode_lower_case() {
        assert_eq!(fold_case("ALICE@Example.COM"), "alice@example.com");
        assert_eq!(fold_case("Alice_99"), "alice_99");
        assert_eq!(fold_case("Émile@Example.org"), "émile@example.org");
        assert_eq!(fold_case("ÉMILE@ÉCOLE.FR"), fold_case("émile@école.fr"));
        assert_eq!(fold_case("ZOË"), "zoë");
        assert_eq!(fold_case("Ǆ"), "ǆ");
        // Full mappings, not one character for one.
        assert_eq!(fold_case("İ"), "i\u{307}");
        assert_eq!(fold_case("ΟΔΟΣ"), "οδος");
        // Lower-casing, not case folding.
        assert_eq!(fold_case("STRASSE"), "strasse");
        assert_ne!(fold_case("Straße"), fold_case("STRASSE"));
        assert_eq!(fold_case(""), "");
    }

    #[test]
    fn fold_case_is_idempotent() {
        for text in [
            "Émile@Example.org",
            "İstanbul",
            "ΟΔΟΣ",
            "Ǆemal",
            "ǅ",
            "Straße",
        ] {
            let key = fold_case(text);
            assert_eq!(fold_case(&key), key, "{text:?}");
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
