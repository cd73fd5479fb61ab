//! Bodies of `/v1/auth/tokens`: personal access tokens.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::services::{MadeToken, TokenRequest};
use domain::{PersonalToken, TokenName, TokenScope, TokenScopes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, parse};
use crate::inbound::error::ApiError;

/// The longest lifetime a token may be given, in days (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// A scope's name, for the document (the request is read as text and
/// checked by the domain's `TokenScope::parse`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum ScopeName {
    #[schema(rename = "todos:read")]
    TodosRead,
    #[schema(rename = "todos:write")]
    TodosWrite,
}

/// `POST /v1/auth/tokens`.
#[derive(Debug, Deserialize, garde::Validate, ToSchema)]
pub struct CreateTokenRequest {
    /// What the token is for, to tell it apart: 1..100 characters.
    #[garde(custom(rules::token_name))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*$",
        examples("CI deploy")
    )]
    pub name: String,
    /// `todos:read` and/or `todos:write`; absent or `null`: both.
    #[garde(inner(length(min = 1, max = 2), inner(custom(rules::token_scope))))]
    #[serde(default)]
    #[schema(
        value_type = Option<Vec<ScopeName>>,
        min_items = 1,
        max_items = 2,
        examples(json!(["todos:read"]))
    )]
    pub scopes: Option<Vec<String>>,
    /// Days until it expires (1..3650); absent or `null`: it never expires
    /// (until revoked).
    #[garde(inner(range(min = 1, max = MAX_TOKEN_DAYS)))]
    #[serde(default, deserialize_with = "whole_days")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 3650, examples(90))]
    pub expires_in_days: Option<u32>,
}

/// A whole number of days: JSON has one number type, so `90.0` is `90`
/// (as JSON Schema's `integer` says), while `90.5`, a negative number or one
/// past `u32` is refused (422 on the field).
fn whole_days<'de, D>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(days) = Option::<f64>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if days.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&days) {
        return Err(serde::de::Error::custom(
            "must be a whole number of days, from 1 to 3650",
        ));
    }
    // Whole and within u32: the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Some(days as u32))
}

impl CreateTokenRequest {
    /// # Errors
    /// 422 if a field breaks a domain rule.
    pub fn into_request(self) -> Result<TokenRequest, ApiError> {
        let scopes = match self.scopes {
            None => TokenScopes::ALL,
            Some(names) => parse(
                "scopes",
                TokenScopes::parse(names.iter().map(String::as_str)),
            )?,
        };
        Ok(TokenRequest {
            name: parse("name", TokenName::parse(self.name))?,
            scopes,
            expires_in: self
                .expires_in_days
                .map(|days| Duration::from_secs(u64::from(days) * 86_400)),
        })
    }
}

/// One of the caller's personal access tokens (never the secret, except in
/// [`CreatedTokenResponse`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfoResponse {
    #[schema(minimum = 1, examples(3))]
    pub id: i64,
    #[schema(examples("CI deploy"))]
    pub name: String,
    #[schema(examples(json!(["todos:read", "todos:write"])))]
    pub scopes: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
    /// `null`: it never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last request it authenticated, to the minute; `null`: never used.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<PersonalToken> for TokenInfoResponse {
    fn from(token: PersonalToken) -> Self {
        Self {
            id: token.id.0,
            name: token.name.as_str().to_owned(),
            scopes: token.scopes.iter().map(TokenScope::as_str).collect(),
            created_at: token.created_at,
            expires_at: token.expires_at,
            last_used_at: token.last_used_at,
        }
    }
}

/// A token just made, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedTokenResponse {
    #[schema(minimum = 1, examples(3))]
    pub id: i64,
    #[schema(examples("CI deploy"))]
    pub name: String,
    /// Send it as `Authorization: Bearer pat_…`. Shown only here: the
    /// server keeps a hash.
    #[schema(examples("pat_3q2-7wE1l9kQmZ0pUu5Kx4VbN8rT6sYdH2cFgJaLeOi"))]
    pub token: String,
    #[schema(examples(json!(["todos:read", "todos:write"])))]
    pub scopes: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Always `null` here.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for CreatedTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedTokenResponse")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl From<MadeToken> for CreatedTokenResponse {
    fn from(made: MadeToken) -> Self {
        let info = TokenInfoResponse::from(made.token);
        Self {
            id: info.id,
            name: info.name,
            token: made.secret.expose().to_owned(),
            scopes: info.scopes,
            created_at: info.created_at,
            expires_at: info.expires_at,
            last_used_at: info.last_used_at,
        }
    }
}
