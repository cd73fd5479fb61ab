//! Verification reads "now" from the clock the service is given, never the
//! system time: `exp`, `nbf` and `iat` are judged against a `ManualClock`
//! here, with and without the memory of verified tokens.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use auth::{JwtSettings, JwtTokenService};
use chrono::{DateTime, TimeZone, Utc};
use common::{
    access_claims, assert_invalid_with, claims_with, expected_access, service_with, sign,
};
use domain::ports::{TokenError, TokenService};
use domain::time::ManualClock;
use serde_json::json;

const LIFETIME: u64 = 900;
const LEEWAY: u64 = 30;

/// Long ago: the system clock would refuse every token issued then.
fn issued_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2001, 2, 3, 4, 5, 6).unwrap()
}

fn at(seconds: u64) -> DateTime<Utc> {
    issued_at() + chrono::TimeDelta::seconds(i64::try_from(seconds).unwrap())
}

/// A service with a 900 s lifetime and a 30 s leeway on `clock`, with the
/// verified-token memory of `capacity` (0: every token verified in full).
fn service_on(clock: &Arc<ManualClock>, capacity: usize) -> JwtTokenService {
    service_with(JwtSettings {
        access_token_lifetime: Duration::from_secs(LIFETIME),
        leeway_seconds: LEEWAY,
        verified_cache_capacity: capacity,
        ..JwtSettings::default()
    })
    .with_clock(clock.clone())
}

fn issue(service: &JwtTokenService) -> String {
    service
        .issue(&access_claims(42, 7, issued_at()))
        .unwrap()
        .access_token
        .expose()
        .to_owned()
}

#[test]
fn a_token_is_judged_by_the_services_clock_not_the_system_time() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 0);
    let token = issue(&service);
    // Twenty-five years old by the system's time, fresh by the clock's.
    assert_eq!(service.verify(&token).unwrap(), expected_access());

    // And a token fresh by the system's time is expired by a clock a year on.
    let now = Utc::now();
    let fresh = service
        .issue(&access_claims(42, 7, now))
        .unwrap()
        .access_token;
    clock.set(now + chrono::TimeDelta::days(365));
    assert_invalid_with(&service, fresh.expose());
}

#[test]
fn expiry_counts_the_leeway_to_the_second() {
    for capacity in [0, 100] {
        let clock = Arc::new(ManualClock::at(issued_at()));
        let service = service_on(&clock, capacity);
        let token = issue(&service);

        clock.set(at(LIFETIME));
        assert_eq!(service.verify(&token).unwrap(), expected_access(), "at exp");
        // Past `exp`, within the leeway: still accepted.
        clock.set(at(LIFETIME + 1));
        assert_eq!(service.verify(&token).unwrap(), expected_access());
        // The last second of the leeway, and its last microsecond.
        clock.set(at(LIFETIME + LEEWAY) + chrono::TimeDelta::microseconds(999_999));
        assert_eq!(service.verify(&token).unwrap(), expected_access());
        // One second beyond it: refused.
        clock.set(at(LIFETIME + LEEWAY + 1));
        assert_invalid_with(&service, &token);
    }
}

#[test]
fn without_leeway_a_token_is_refused_the_second_after_exp() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_with(JwtSettings {
        access_token_lifetime: Duration::from_secs(LIFETIME),
        verified_cache_capacity: 0,
        ..JwtSettings::default()
    })
    .with_clock(clock.clone());
    let token = issue(&service);
    clock.set(at(LIFETIME));
    assert_eq!(service.verify(&token).unwrap(), expected_access());
    clock.set(at(LIFETIME + 1));
    assert_invalid_with(&service, &token);
}

#[test]
fn a_remembered_token_is_refused_once_the_clock_passes_its_expiry() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 100);
    let token = issue(&service);
    // Verified in full, then answered from memory.
    assert_eq!(service.verify(&token).unwrap(), expected_access());
    assert_eq!(service.verify(&token).unwrap(), expected_access());
    clock.advance(Duration::from_secs(LIFETIME + LEEWAY));
    assert_eq!(service.verify(&token).unwrap(), expected_access());
    clock.advance(Duration::from_secs(1));
    assert_invalid_with(&service, &token);
    // And stays refused (nothing refused is remembered).
    assert_invalid_with(&service, &token);
}

#[test]
fn nbf_beyond_the_leeway_is_refused_until_the_clock_reaches_it() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 100);
    let now = u64::try_from(issued_at().timestamp()).unwrap();
    let token = sign(&claims_with(&json!({
        "iat": now,
        "nbf": now + LEEWAY + 1,
        "exp": now + 3600,
    })));
    assert_invalid_with(&service, &token);
    clock.advance(Duration::from_secs(1));
    assert_eq!(service.verify(&token).unwrap(), expected_access());

    // Within the leeway: accepted at once.
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 0);
    let token = sign(&claims_with(&json!({
        "iat": now,
        "nbf": now + LEEWAY,
        "exp": now + 3600,
    })));
    assert_eq!(service.verify(&token).unwrap(), expected_access());
}

#[test]
fn iat_beyond_the_leeway_is_refused_by_the_clock() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 0);
    let now = u64::try_from(issued_at().timestamp()).unwrap();
    let token = sign(&claims_with(&json!({
        "iat": now + LEEWAY + 1,
        "nbf": now,
        "exp": now + 3600,
    })));
    assert_invalid_with(&service, &token);
    clock.advance(Duration::from_secs(1));
    assert_eq!(service.verify(&token).unwrap(), expected_access());
}

#[test]
fn exp_and_nbf_are_still_required_and_numeric() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 0);
    let now = u64::try_from(issued_at().timestamp()).unwrap();
    let base = json!({ "iat": now, "nbf": now, "exp": now + 3600 });
    for change in [
        json!({ "exp": null }),
        json!({ "nbf": null }),
        json!({ "exp": "tomorrow" }),
        json!({ "nbf": "now" }),
        json!({ "exp": -1 }),
        json!({ "nbf": -1 }),
        json!({ "exp": (now + 3600).to_string() }),
    ] {
        let mut claims = claims_with(&base);
        for (name, value) in change.as_object().unwrap() {
            let object = claims.as_object_mut().unwrap();
            if value.is_null() {
                object.remove(name);
            } else {
                object.insert(name.clone(), value.clone());
            }
        }
        assert_invalid_with(&service, &sign(&claims));
    }
    // The unchanged claims are good: the refusals above are the changes'.
    assert_eq!(
        service.verify(&sign(&claims_with(&base))).unwrap(),
        expected_access()
    );
}

#[test]
fn a_clock_before_1970_is_an_unexpected_error_not_a_refusal() {
    let clock = Arc::new(ManualClock::at(issued_at()));
    let service = service_on(&clock, 0);
    let token = issue(&service);
    clock.set(Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap());
    assert!(matches!(
        service.verify(&token),
        Err(TokenError::Unexpected(_))
    ));
}
