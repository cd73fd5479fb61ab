//! Ids in paths: a positive 64-bit integer in canonical decimal (no sign, no
//! leading zero: `1`, never `+1` or `01`, so that one resource has one
//! address), else 404 (`0`, `-1` or beyond 64 bits: an integer that cannot
//! name a row) or 422 (anything else). Never 500.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::inbound::error::ApiError;

/// The `{id}` segment of the matched route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathId(pub i64);

impl FromRequest for PathId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        ready(parse(raw, not_found_for(req)))
    }
}

fn not_found_for(req: &HttpRequest) -> &'static str {
    if req.path().contains("/users/") {
        "User not found"
    } else if req.path().contains("/sessions/") {
        crate::inbound::error::SESSION_NOT_FOUND
    } else {
        "Todo not found"
    }
}

fn parse(raw: &str, not_found: &'static str) -> Result<PathId, ApiError> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    let canonical = match digits.as_bytes() {
        [] => false,
        [b'0'] => true,
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return Err(ApiError::validation(
            "id",
            "must be an integer in canonical decimal form (no sign, no leading zeros)",
            "int_parsing",
        ));
    }
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(PathId(id)),
        // Zero, negative, or beyond 64 bits: a well-formed integer no row has.
        _ => Err(ApiError::NotFound(not_found)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_ids_parse() {
        assert_eq!(parse("42", "x").unwrap(), PathId(42));
        assert_eq!(parse("9223372036854775807", "x").unwrap(), PathId(i64::MAX));
    }

    #[test]
    fn integers_that_name_no_row_are_404() {
        for raw in ["0", "-1", "9223372036854775808", "99999999999999999999999"] {
            assert!(
                matches!(parse(raw, "x"), Err(ApiError::NotFound(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn non_integers_are_422() {
        for raw in [
            "abc", "1.5", "", "1e3", "0x10", " 1", "-", "+", "+1", "01", "00", "-01", "007",
        ] {
            assert!(
                matches!(parse(raw, "x"), Err(ApiError::Validation(_))),
                "{raw:?}"
            );
        }
    }
}
