//! JSON bodies: content type, size limit, syntax, types and field rules, each
//! failure answered in the envelope with the offending field named.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::inbound::error::{ApiError, FieldError};

/// A JSON body that parsed and passed its `garde` rules.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> FromRequest for JsonBody<T>
where
    T: DeserializeOwned + garde::Validate<Context = ()> + 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        let limit = body_limit(req);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "Content-Type must be application/json",
                ));
            }
            let bytes = body.await.map_err(|e| payload_error(&e, limit))?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// Whether the request declares a JSON body (`application/json` or `+json`).
#[must_use]
pub fn is_json(req: &HttpRequest) -> bool {
    mime(req).is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    })
}

/// Whether the request declares an HTML form body.
#[must_use]
pub fn is_form(req: &HttpRequest) -> bool {
    mime(req).is_some_and(|m| m == "application/x-www-form-urlencoded")
}

fn mime(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// The request body limit when none is configured (64 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// The configured body limit, kept beside actix's `PayloadConfig` (which
/// enforces it but does not expose it) for the 413 message.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The body limit configured on the app.
#[must_use]
pub fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<BodyLimit>()
        .map_or(DEFAULT_BODY_LIMIT, |l| l.0)
}

/// Maps a failure to read the body: too large → 413, anything else → 400.
pub fn payload_error(error: &actix_web::Error, limit: usize) -> ApiError {
    match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::PayloadTooLarge(limit),
        _ if error.as_response_error().status_code()
            == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge(limit)
        }
        _ => ApiError::BadRequest("Could not read the request body".into()),
    }
}

/// Parses and validates a JSON document.
///
/// # Errors
/// 422 with `validation_errors`: `json_invalid` for malformed JSON (field
/// `body`), the serde path of a missing or ill-typed field, and each field
/// a `garde` rule refused.
pub fn parse_json<T>(bytes: &[u8]) -> Result<T, ApiError>
where
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    // Every body of this API is an object; serde would also fill a struct
    // from a JSON array (`[null, null]`), which no schema allows.
    let starts_as_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !starts_as_object && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(ApiError::validation(
            "body",
            "must be a JSON object",
            "model_attributes_type",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| serde_error(&e))?;
    // Trailing garbage after the document is malformed JSON too.
    deserializer.end().map_err(|e| {
        ApiError::validation(
            "body",
            format!("Malformed JSON: {}", without_position(&e)),
            "json_invalid",
        )
    })?;
    validate(&value)?;
    Ok(value)
}

/// Parses and validates an `application/x-www-form-urlencoded` body.
///
/// # Errors
/// As [`parse_json`].
pub fn parse_login_form<T>(bytes: &[u8]) -> Result<T, ApiError>
where
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    let value: T = serde_urlencoded::from_bytes(bytes).map_err(|e| {
        let message = e.to_string();
        let field = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("body")
            .to_owned();
        ApiError::validation(field, message, "value_error")
    })?;
    validate(&value)?;
    Ok(value)
}

fn validate<T: garde::Validate<Context = ()>>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|report| {
        ApiError::Validation(
            report
                .iter()
                .map(|(path, error)| {
                    FieldError::new(path.to_string(), error.message(), "value_error")
                })
                .collect(),
        )
    })
}

fn serde_error(error: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    let path = error.path().to_string();
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path
    };
    let message = without_position(inner);
    match inner.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => {
            ApiError::validation("body", format!("Malformed JSON: {message}"), "json_invalid")
        }
        serde_json::error::Category::Data => {
            let kind = if message.starts_with("missing field") {
                "missing"
            } else {
                "type_error"
            };
            let field = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .map_or(field.clone(), |missing| {
                    if field == "body" {
                        missing.to_owned()
                    } else {
                        format!("{field}.{missing}")
                    }
                });
            ApiError::validation(field, message, kind)
        }
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

/// A field of a PATCH body: absent, explicitly `null`, or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Missing,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Self::Missing => Patch::Missing,
            Self::Null => Patch::Null,
            Self::Value(v) => Patch::Value(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Self::Null, Self::Value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, garde::Validate)]
    struct Body {
        #[garde(length(chars, min = 1))]
        name: String,
        #[garde(skip)]
        #[serde(default)]
        note: Patch<String>,
    }

    fn field(err: ApiError) -> (String, String) {
        match err {
            ApiError::Validation(errors) => (errors[0].field.clone(), errors[0].kind.clone()),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_json_invalid_on_body() {
        assert_eq!(
            field(parse_json::<Body>(b"{\"name\":").unwrap_err()),
            ("body".into(), "json_invalid".into())
        );
        assert_eq!(
            field(parse_json::<Body>(b"{\"name\":\"a\"} x").unwrap_err()).1,
            "json_invalid"
        );
        assert_eq!(
            field(parse_json::<Body>(b"").unwrap_err()).1,
            "json_invalid"
        );
    }

    #[test]
    fn missing_and_ill_typed_fields_are_named() {
        assert_eq!(
            field(parse_json::<Body>(b"{}").unwrap_err()),
            ("name".into(), "missing".into())
        );
        assert_eq!(
            field(parse_json::<Body>(b"{\"name\": 5}").unwrap_err()),
            ("name".into(), "type_error".into())
        );
        assert_eq!(
            field(parse_json::<Body>(b"[]").unwrap_err()).1,
            "model_attributes_type"
        );
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused_even_if_serde_could_fill_the_struct() {
        for body in [
            &b"[\"a\"]"[..],
            b"[null, null]",
            b"\"a\"",
            b"5",
            b"null",
            b"true",
        ] {
            assert_eq!(
                field(parse_json::<Body>(body).unwrap_err()),
                ("body".into(), "model_attributes_type".into())
            );
        }
    }

    #[test]
    fn rule_violations_are_value_errors() {
        assert_eq!(
            field(parse_json::<Body>(b"{\"name\": \"\"}").unwrap_err()),
            ("name".into(), "value_error".into())
        );
    }

    #[test]
    fn patch_distinguishes_missing_null_and_value() {
        assert_eq!(
            parse_json::<Body>(b"{\"name\":\"a\"}").unwrap().note,
            Patch::Missing
        );
        assert_eq!(
            parse_json::<Body>(b"{\"name\":\"a\",\"note\":null}")
                .unwrap()
                .note,
            Patch::Null
        );
        assert_eq!(
            parse_json::<Body>(b"{\"name\":\"a\",\"note\":\"x\"}")
                .unwrap()
                .note,
            Patch::Value("x".into())
        );
    }
}
