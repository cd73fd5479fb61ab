//! Reading a token's JOSE header before its signature is checked: only to
//! choose the verification key, and to refuse at once what we never issue.
//!
//! The header we issue is exactly `{"typ":"at+jwt","alg":"RS256","kid":..}`.
//! A received header may hold those three members and nothing else: no
//! `jku`, `x5u`, `jwk`, `x5c` (a key or a place to fetch one: we never fetch
//! anything and never trust a key the token brings), no `crit` (we understand
//! no extension), no duplicate member.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The only algorithm accepted, spelt as in the header.
const RS256: &str = "RS256";
/// Our key ids are 43-character thumbprints; anything much longer is not a
/// key id and is refused before any lookup.
pub const MAX_KID_BYTES: usize = 128;

/// The members a received header may have (serde refuses any other member,
/// and a duplicate).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceivedHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// The key id of a token whose header is acceptable, or a fixed reason (for
/// the debug log; it never quotes the token).
pub(super) fn acceptable_kid(token: &str) -> Result<String, &'static str> {
    let mut segments = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err("not three segments");
    };
    let json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| "header is not base64url")?;
    let header: ReceivedHeader = serde_json::from_slice(&json)
        .map_err(|_| "header is not JSON with only alg, typ and kid, each once")?;
    if header.alg != RS256 {
        return Err("algorithm is not RS256");
    }
    if !header.typ.as_deref().is_some_and(is_access_token_type) {
        return Err("typ is not at+jwt");
    }
    let kid = header.kid.ok_or("no kid")?;
    if kid.is_empty() || kid.len() > MAX_KID_BYTES {
        return Err("kid of implausible length");
    }
    Ok(kid)
}

/// RFC 9068 section 4: `at+jwt`, or its full media type
/// `application/at+jwt`, compared case-insensitively (RFC 7515 4.1.9).
fn is_access_token_type(typ: &str) -> bool {
    const MEDIA_PREFIX: &str = "application/";
    let bare = match typ.get(..MEDIA_PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(MEDIA_PREFIX) => {
            typ.get(MEDIA_PREFIX.len()..).unwrap_or_default()
        }
        _ => typ,
    };
    bare.eq_ignore_ascii_case("at+jwt")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str) -> String {
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header))
    }

    #[test]
    fn access_token_type_is_at_jwt_in_any_casing_with_or_without_media_prefix() {
        for good in [
            "at+jwt",
            "AT+JWT",
            "At+Jwt",
            "application/at+jwt",
            "Application/AT+JWT",
        ] {
            assert!(is_access_token_type(good), "{good}");
        }
        for bad in [
            "",
            "JWT",
            "jwt",
            "at+jwt ",
            " at+jwt",
            "application/jwt",
            "application/",
            "at+jwtx",
            "application/application/at+jwt",
            "é",
            "applicationé/at+jwt",
        ] {
            assert!(!is_access_token_type(bad), "{bad}");
        }
    }

    #[test]
    fn our_header_is_accepted() {
        assert_eq!(
            acceptable_kid(&token(r#"{"typ":"at+jwt","alg":"RS256","kid":"k1"}"#)),
            Ok("k1".to_owned())
        );
    }

    #[test]
    fn duplicate_or_foreign_members_are_refused() {
        for header in [
            r#"{"typ":"at+jwt","alg":"RS256","kid":"k1","alg":"none"}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":"k1","kid":"k2"}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":"k1","cty":"JWT"}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":"k1","jku":"http://127.0.0.1:9/"}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":"k1","crit":[]}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":7}"#,
            r#"{"typ":"at+jwt","alg":"rs256","kid":"k1"}"#,
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"typ":"at+jwt","alg":"RS256","kid":""}"#,
            r#"["RS256"]"#,
        ] {
            assert!(acceptable_kid(&token(header)).is_err(), "{header}");
        }
    }
}
