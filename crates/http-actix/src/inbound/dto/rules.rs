//! `garde` custom rules that apply the domain's own constructors.

use domain::text::InvalidValue;
use domain::{
    Email, FullName, Password, Priority, TodoDescription, TodoTitle, TokenName, TokenScope,
    Username,
};

fn check<T>(result: Result<T, InvalidValue>) -> garde::Result {
    result
        .map(drop)
        .map_err(|e| garde::Error::new(e.message().to_owned()))
}

pub fn email(value: &str, (): &()) -> garde::Result {
    check(Email::parse(value))
}

pub fn username(value: &str, (): &()) -> garde::Result {
    check(Username::parse(value))
}

pub fn full_name(value: &str, (): &()) -> garde::Result {
    check(FullName::parse(value))
}

pub fn password(value: &str, (): &()) -> garde::Result {
    check(Password::parse(value))
}

pub fn title(value: &str, (): &()) -> garde::Result {
    check(TodoTitle::parse(value))
}

pub fn description(value: &str, (): &()) -> garde::Result {
    check(TodoDescription::parse(value))
}

pub fn priority(value: &str, (): &()) -> garde::Result {
    check(value.parse::<Priority>())
}

pub fn token_name(value: &str, (): &()) -> garde::Result {
    check(TokenName::parse(value))
}

pub fn token_scope(value: &str, (): &()) -> garde::Result {
    TokenScope::parse(value).map(drop).ok_or_else(|| {
        garde::Error::new("unknown scope: the scopes are todos:read and todos:write")
    })
}

/// Builds a domain value after `garde` accepted it; a refusal here still
/// answers 422 rather than trusting the earlier check.
pub fn parse<T>(
    field: &str,
    result: Result<T, InvalidValue>,
) -> Result<T, crate::inbound::error::ApiError> {
    result
        .map_err(|e| crate::inbound::error::ApiError::validation(field, e.message(), "value_error"))
}
