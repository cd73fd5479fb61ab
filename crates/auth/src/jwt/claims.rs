//! The access token's claims: what we sign, and what we read back once the
//! signature is good.

use domain::SessionId;
use domain::UserId;
use serde::{Deserialize, Serialize};

/// What we sign. Serialized in this field order, always: with RS256 (PKCS#1
/// v1.5, deterministic) the same claims give the very same token.
#[derive(Serialize)]
pub(super) struct IssuedClaims<'a> {
    pub iss: &'a str,
    pub aud: &'a str,
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: &'a str,
    pub sid: String,
}

/// What we read back. Every field is required and strictly typed (times are
/// integers, not strings or floats; `sub` and `sid` are strings): anything
/// else fails to deserialize. `jsonwebtoken` checks `iss` and `aud` itself;
/// the service checks the rest, the times against its clock.
#[derive(Deserialize)]
pub(super) struct ReceivedClaims {
    pub iss: String,
    pub aud: Audience,
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    /// Also bounds the verified-token memory.
    pub exp: u64,
    pub jti: String,
    pub sid: String,
}

/// `aud` is one string or an array of strings (RFC 7519 4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn names(&self, audience: &str) -> bool {
        match self {
            Self::One(aud) => aud == audience,
            Self::Many(auds) => auds.iter().any(|aud| aud == audience),
        }
    }
}

pub(super) fn parse_user(sub: &str) -> Option<UserId> {
    parse_id(sub).map(UserId)
}

pub(super) fn parse_session(sid: &str) -> Option<SessionId> {
    parse_id(sid).map(SessionId)
}

/// A positive i64 written canonically (no sign, no leading zero, no spaces).
fn parse_id(text: &str) -> Option<i64> {
    let id: i64 = text.parse().ok()?;
    (id > 0 && id.to_string() == text).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_canonical_positive_integers() {
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("9223372036854775807"), Some(i64::MAX));
        for bad in [
            "",
            "0",
            "-5",
            "+5",
            "05",
            " 5",
            "5 ",
            "abc",
            "1e3",
            "9223372036854775808",
        ] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn audience_names_a_single_value_or_an_array_member() {
        assert!(Audience::One("todo-api".into()).names("todo-api"));
        assert!(!Audience::One("other".into()).names("todo-api"));
        assert!(Audience::Many(vec!["x".into(), "todo-api".into()]).names("todo-api"));
        assert!(!Audience::Many(vec![]).names("todo-api"));
    }
}
