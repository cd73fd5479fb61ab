//! Personal access tokens: long-lived bearer credentials a user makes for
//! scripts and CI. A token is shown once, at creation; the store keeps its
//! hash. It reaches only what its scopes allow (the todo endpoints and the
//! caller's own profile), never the account itself: no sessions, password,
//! second factor, tokens or users.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::text::{InvalidValue, check_text};
use crate::user::UserId;

/// A personal access token's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalTokenId(pub i64);

/// What a personal access token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenScope {
    /// Read the user's todos (`GET` of the todo endpoints).
    TodosRead,
    /// Create, change and delete the user's todos.
    TodosWrite,
}

impl TokenScope {
    pub const ALL: [Self; 2] = [Self::TodosRead, Self::TodosWrite];

    /// The scope's name on the wire and in the store.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TodosRead => "todos:read",
            Self::TodosWrite => "todos:write",
        }
    }

    /// The scope named `name`, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}

/// A non-empty set of scopes, in [`TokenScope::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenScopes {
    read: bool,
    write: bool,
}

impl TokenScopes {
    /// Every scope: what a token gets when none are asked for.
    pub const ALL: Self = Self {
        read: true,
        write: true,
    };

    /// The set of `names`, each a scope's name, in any order and possibly
    /// repeated.
    ///
    /// # Errors
    /// [`InvalidValue`] for an unknown name or an empty list.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidValue> {
        let mut scopes = Self {
            read: false,
            write: false,
        };
        for name in names {
            match TokenScope::parse(name) {
                Some(TokenScope::TodosRead) => scopes.read = true,
                Some(TokenScope::TodosWrite) => scopes.write = true,
                None => {
                    return Err(InvalidValue::new(
                        "unknown scope: the scopes are todos:read and todos:write",
                    ));
                }
            }
        }
        if scopes.read || scopes.write {
            Ok(scopes)
        } else {
            Err(InvalidValue::new("must name at least one scope"))
        }
    }

    #[must_use]
    pub fn contains(self, scope: TokenScope) -> bool {
        match scope {
            TokenScope::TodosRead => self.read,
            TokenScope::TodosWrite => self.write,
        }
    }

    /// The scopes in the set, in [`TokenScope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = TokenScope> {
        TokenScope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }
}

/// What the user calls a token, to tell their tokens apart: 1..=100
/// characters, no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    /// # Errors
    /// [`InvalidValue`] unless 1..=100 characters without NUL.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        check_text(&value, 1, 100)?;
        Ok(Self(value))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A personal access token in clear (`pat_` and 256 random bits): only in
/// the response that creates it and in the requests that use it. `Debug`
/// hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalTokenSecret(String);

impl PersonalTokenSecret {
    /// What every personal access token starts with, so that a bearer
    /// credential tells at a glance which kind it is (and secret scanners
    /// can find a leaked one).
    pub const PREFIX: &'static str = "pat_";

    #[must_use]
    pub fn new(token: String) -> Self {
        Self(token)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether a bearer credential is meant as a personal access token
    /// (it may still be a forgery).
    #[must_use]
    pub fn is_personal_token(bearer: &str) -> bool {
        bearer.starts_with(Self::PREFIX)
    }
}

impl fmt::Debug for PersonalTokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalTokenSecret(<redacted>)")
    }
}

/// What the store keeps of a personal access token: a one-way hash, by
/// which it is looked up.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonalTokenHash(String);

impl PersonalTokenHash {
    #[must_use]
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonalTokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalTokenHash(<redacted>)")
    }
}

/// A personal access token to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPersonalToken {
    pub user_id: UserId,
    pub name: TokenName,
    pub scopes: TokenScopes,
    pub hash: PersonalTokenHash,
    pub created_at: DateTime<Utc>,
    /// `None`: it never expires (it lives until revoked).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A personal access token as stored (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: PersonalTokenId,
    pub user_id: UserId,
    pub name: TokenName,
    pub scopes: TokenScopes,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The last request it authenticated, to the minute: a token used
    /// again within a minute of this does not move it.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl PersonalToken {
    /// Neither revoked nor expired at `now`.
    #[must_use]
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| expires > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_in_any_order_and_list_in_a_fixed_one() {
        let scopes = TokenScopes::parse(["todos:write", "todos:read", "todos:write"]).unwrap();
        assert_eq!(scopes, TokenScopes::ALL);
        assert_eq!(
            scopes.iter().map(TokenScope::as_str).collect::<Vec<_>>(),
            ["todos:read", "todos:write"]
        );
        let read = TokenScopes::parse(["todos:read"]).unwrap();
        assert!(read.contains(TokenScope::TodosRead));
        assert!(!read.contains(TokenScope::TodosWrite));
    }

    #[test]
    fn unknown_and_empty_scopes_are_refused() {
        assert!(TokenScopes::parse(["todos:admin"]).is_err());
        assert!(TokenScopes::parse(["TODOS:READ"]).is_err());
        assert!(TokenScopes::parse(std::iter::empty()).is_err());
    }

    #[test]
    fn names_are_1_to_100_characters() {
        assert!(TokenName::parse("").is_err());
        assert!(TokenName::parse("ci").is_ok());
        assert!(TokenName::parse("é".repeat(100)).is_ok());
        assert!(TokenName::parse("a".repeat(101)).is_err());
        assert!(TokenName::parse("a\0b").is_err());
    }

    #[test]
    fn a_token_lives_until_revoked_or_expired() {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut token = PersonalToken {
            id: PersonalTokenId(1),
            user_id: UserId(1),
            name: TokenName::parse("ci").unwrap(),
            scopes: TokenScopes::ALL,
            created_at: now,
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
        };
        assert!(token.is_live(now));
        token.expires_at = Some(now);
        assert!(!token.is_live(now), "expired at its instant");
        token.expires_at = Some(now + chrono::TimeDelta::seconds(1));
        assert!(token.is_live(now));
        token.revoked_at = Some(now);
        assert!(!token.is_live(now));
    }

    #[test]
    fn debug_never_shows_the_secret_or_its_hash() {
        let secret = PersonalTokenSecret::new("pat_s3cr3t".to_owned());
        let hash = PersonalTokenHash::new("abcdef".to_owned());
        let shown = format!("{secret:?} {hash:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("abcdef"),
            "{shown}"
        );
        assert!(PersonalTokenSecret::is_personal_token(secret.expose()));
        assert!(!PersonalTokenSecret::is_personal_token("eyJhbGciOi"));
    }
}
