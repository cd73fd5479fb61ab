//! Query strings of the list endpoints: `page`, `page_size`, `cursor`,
//! `completed`. Parameters an endpoint does not define are ignored.

use std::collections::HashMap;

use actix_web::HttpRequest;
use domain::pagination::MAX_PAGE_SIZE;
use domain::{ListRequest, PageRequest};

use crate::inbound::error::{ApiError, FieldError};

/// `page`, `page_size` and `cursor` of a list endpoint (`GET /v1/users`).
///
/// Parameters an endpoint does not define are ignored, as every list endpoint
/// does (and as the original service did): `GET /v1/users?completed=maybe`
/// is the first page of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery(pub ListRequest);

/// A validated `GET /v1/todos` query: the page and the `completed` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub request: ListRequest,
    pub completed: Option<bool>,
}

impl PageQuery {
    /// Parses the request's query string; unknown parameters are ignored.
    ///
    /// # Errors
    /// 422 naming each bad parameter.
    pub fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let params = Params::parse(req)?;
        let mut errors = Vec::new();
        let page = params.page(&mut errors);
        refuse_any(errors).and(page).map(Self)
    }
}

impl ListQuery {
    /// Parses the request's query string; unknown parameters are ignored.
    ///
    /// # Errors
    /// 422 naming each bad parameter.
    pub fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let params = Params::parse(req)?;
        let mut errors = Vec::new();
        let page = params.page(&mut errors);
        let completed = match params.0.get("completed").map(|raw| parse_bool(raw)) {
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
        refuse_any(errors)
            .and(page)
            .map(|request| Self { request, completed })
    }
}

/// The query string as name → value (the last of repeated names wins).
struct Params(HashMap<String, String>);

impl Params {
    fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        serde_urlencoded::from_str(req.query_string())
            .map(Self)
            .map_err(|e| ApiError::validation("query", e.to_string(), "value_error"))
    }

    /// `page` (default 1) and `page_size` (default 10), or `cursor` with
    /// an optional `page_size` (the cursor's when absent). A value that is
    /// not an integer is pushed to `errors` (and the default stands in, so
    /// that every bad parameter is reported at once); one out of range is
    /// refused by [`PageRequest`] with its own message. `cursor` together
    /// with `page` is refused: a cursor names its own page. Whether the
    /// cursor itself is valid is the use case's to say.
    fn page(&self, errors: &mut Vec<FieldError>) -> Result<ListRequest, ApiError> {
        let page = self.number("page", 1, i64::MAX.unsigned_abs(), errors);
        let page_size = self.number("page_size", 10, MAX_PAGE_SIZE, errors);
        let request = PageRequest::new(page, page_size)
            .map_err(|e| ApiError::validation(e.field, e.error.message(), "value_error"))?;
        let Some(sealed) = self.0.get("cursor") else {
            return Ok(ListRequest::Page(request));
        };
        if self.0.contains_key("page") {
            errors.push(FieldError::new(
                "cursor",
                "cannot be combined with page: a cursor names its own page; send one or the other",
                "value_error",
            ));
        }
        Ok(ListRequest::Cursor {
            sealed: sealed.clone(),
            page_size: self
                .0
                .contains_key("page_size")
                .then_some(request.page_size()),
        })
    }

    fn number(&self, name: &str, default: u64, max: u64, errors: &mut Vec<FieldError>) -> u64 {
        let Some(raw) = self.0.get(name) else {
            return default;
        };
        // The documented type is a 64-bit signed integer.
        match raw.trim().parse::<i64>() {
            // Zero and negatives are refused by `PageRequest` with its own message.
            Ok(n) => u64::try_from(n).unwrap_or(0),
            Err(_) => {
                errors.push(FieldError::new(
                    name,
                    format!("must be an integer from 1 to {max}"),
                    "int_parsing",
                ));
                default
            }
        }
    }
}

/// The errors collected while parsing, as one 422 when there are any.
fn refuse_any(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
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
