//! Query strings of the list endpoints: `page`, `page_size`, `completed`.

use std::collections::HashMap;

use actix_web::HttpRequest;
use domain::PageRequest;

use crate::error::{ApiError, FieldError};

/// A validated list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub page: PageRequest,
    pub completed: Option<bool>,
}

impl ListQuery {
    /// Parses the request's query string; unknown parameters are ignored.
    ///
    /// # Errors
    /// 422 naming each bad parameter.
    pub fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let params: HashMap<String, String> = serde_urlencoded::from_str(req.query_string())
            .map_err(|e| ApiError::validation("query", e.to_string(), "value_error"))?;
        let mut errors = Vec::new();
        let mut number = |name: &str, default: u64| match params.get(name) {
            None => default,
            // The documented type is a 64-bit signed integer.
            Some(raw) => match raw.trim().parse::<i64>() {
                // Zero and negatives are refused by `PageRequest` with its own message.
                Ok(n) => u64::try_from(n).unwrap_or(0),
                Err(_) => {
                    errors.push(FieldError::new(
                        name,
                        "must be an integer from 1 to 9223372036854775807",
                        "int_parsing",
                    ));
                    default
                }
            },
        };
        let page = number("page", 1);
        let page_size = number("page_size", 10);
        let completed = match params.get("completed").map(|raw| parse_bool(raw)) {
            None => None,
            Some(Some(b)) => Some(b),
            Some(None) => {
                errors.push(FieldError::new(
                    "completed",
                    "must be a boolean",
                    "bool_parsing",
                ));
                None
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let page = PageRequest::new(page, page_size)
            .map_err(|e| ApiError::validation(e.field, e.error.message(), "value_error"))?;
        Ok(Self { page, completed })
    }
}

/// Booleans as query strings write them (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`).
#[must_use]
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}
