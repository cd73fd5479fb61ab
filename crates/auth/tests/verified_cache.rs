//! The memory of verified tokens, black-box: it never lets through what a
//! full verification would refuse.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use auth::JwtSettings;
use chrono::{DateTime, Utc};
use common::{
    access_claims, assert_invalid_with, b64_json, claims_with, expected_access, service_with,
};
use domain::ports::{Clock, TokenError, TokenService};
use domain::time::ManualClock;
use serde_json::json;

fn with_cache(capacity: usize, lifetime: Duration) -> auth::JwtTokenService {
    service_with(JwtSettings {
        access_token_lifetime: lifetime,
        verified_cache_capacity: capacity,
        ..JwtSettings::default()
    })
}

#[test]
fn a_remembered_token_is_refused_once_it_expires() {
    // The clock moves instead of the test sleeping past `exp`.
    let clock = Arc::new(ManualClock::starting_now());
    let service = with_cache(100, Duration::from_secs(1)).with_clock(clock.clone());
    let issued = service.issue(&access_claims(42, 7, clock.now())).unwrap();
    let token = issued.access_token.expose();
    // Twice: the second is answered from memory.
    assert_eq!(service.verify(token).unwrap(), expected_access());
    assert_eq!(service.verify(token).unwrap(), expected_access());
    let exp = common::part(token, 1)["exp"].as_i64().unwrap();
    clock.set(DateTime::from_timestamp(exp, 999_999_000).unwrap());
    assert_eq!(service.verify(token).unwrap(), expected_access());
    clock.set(DateTime::from_timestamp(exp + 1, 0).unwrap());
    assert!(matches!(service.verify(token), Err(TokenError::Invalid)));
}

#[test]
fn altering_a_remembered_token_is_still_refused() {
    let service = with_cache(100, Duration::from_secs(3600));
    let issued = service.issue(&access_claims(42, 7, Utc::now())).unwrap();
    let token = issued.access_token.expose();
    assert_eq!(service.verify(token).unwrap(), expected_access());

    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = b64_json(&claims_with(&json!({ "sub": "1" })));
    parts[1] = &forged;
    assert_invalid_with(&service, &parts.join("."));

    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut flipped = signature.to_owned().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    assert_invalid_with(
        &service,
        &format!("{message}.{}", String::from_utf8(flipped).unwrap()),
    );
    let longer = format!("{token}A");
    assert_invalid_with(&service, &longer);

    // The genuine token is still good, from memory or not.
    assert_eq!(service.verify(token).unwrap(), expected_access());
}

#[test]
fn with_the_memory_off_tokens_verify_every_time() {
    let service = with_cache(0, Duration::from_secs(3600));
    let issued = service.issue(&access_claims(42, 7, Utc::now())).unwrap();
    for _ in 0..3 {
        assert_eq!(
            service.verify(issued.access_token.expose()).unwrap(),
            expected_access()
        );
    }
}

#[test]
fn a_capacity_beyond_the_limit_is_refused() {
    let keys = common::keys();
    let result = auth::JwtTokenService::from_pem(
        keys.private_key_pem().as_bytes(),
        keys.public_key_pem().as_bytes(),
        &[],
        JwtSettings {
            verified_cache_capacity: auth::jwt::MAX_VERIFIED_CACHE_CAPACITY + 1,
            ..JwtSettings::default()
        },
    );
    assert!(result.is_err());
}
