//! The RS256 token service, black-box: what it issues, and that what it
//! issues verifies. The refusals live in `token_attacks.rs`.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::Duration;

use auth::keys::KeyLoadError;
use auth::{JwtSettings, JwtTokenService};
use chrono::{TimeZone, Utc};
use common::{
    AUDIENCE, ISSUER, access_claims, claims_with, expected_access, keys, kid, now, other_keys,
    part, private_key_fragments, service, service_with, sign, valid_claims,
};
use domain::ports::{TokenError, TokenService, VerifiedAccess};
use domain::{SessionId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;

#[test]
fn issued_token_verifies_back_to_its_user_and_session() {
    let service = service();
    let issued = service.issue(&access_claims(42, 7, Utc::now())).unwrap();
    assert_eq!(
        service.verify(issued.access_token.expose()).unwrap(),
        expected_access()
    );

    let big = service
        .issue(&access_claims(i64::MAX, i64::MAX, Utc::now()))
        .unwrap();
    assert_eq!(
        service.verify(big.access_token.expose()).unwrap(),
        VerifiedAccess {
            user: UserId(i64::MAX),
            session: SessionId(i64::MAX),
        }
    );
}

#[test]
fn same_access_claims_issue_byte_identical_tokens() {
    // A refresh replayed within the grace window must answer the same pair.
    let claims = access_claims(42, 7, Utc::now());
    let first = service().issue(&claims).unwrap();
    let second = service().issue(&claims).unwrap();
    assert_eq!(first.access_token.expose(), second.access_token.expose());
    assert_eq!(first, second);

    let mut other_jti = claims.clone();
    other_jti.token_id.push('x');
    assert_ne!(
        service().issue(&other_jti).unwrap().access_token.expose(),
        first.access_token.expose()
    );
}

#[test]
fn issued_token_carries_every_claim_the_contract_names() {
    let issued_at = Utc::now();
    let claims = access_claims(42, 7, issued_at);
    let token = service().issue(&claims).unwrap();
    let payload = part(token.access_token.expose(), 1);
    let iat = u64::try_from(issued_at.timestamp()).unwrap();
    assert_eq!(
        payload,
        json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "42",
            "iat": iat,
            "nbf": iat,
            "exp": iat + 86_400,
            "jti": claims.token_id,
            "sid": "7",
        })
    );
}

#[test]
fn issued_token_header_is_rs256_at_jwt_with_the_key_thumbprint() {
    let issued = service().issue(&access_claims(1, 1, Utc::now())).unwrap();
    let header = part(issued.access_token.expose(), 0);
    assert_eq!(
        header,
        json!({ "typ": "at+jwt", "alg": "RS256", "kid": kid() })
    );
    assert_eq!(service().kid(), kid());
}

#[test]
fn issued_at_is_taken_from_the_claims_not_the_clock() {
    let issued_at = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
    let issued = service().issue(&access_claims(3, 4, issued_at)).unwrap();
    let payload = part(issued.access_token.expose(), 1);
    assert_eq!(payload["iat"], json!(issued_at.timestamp()));
    assert_eq!(payload["exp"], json!(issued_at.timestamp() + 86_400));
    // ...and such an old token is refused as expired.
    assert!(matches!(
        service().verify(issued.access_token.expose()),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn issued_token_lifetime_follows_the_settings() {
    let service = service_with(JwtSettings {
        access_token_lifetime: Duration::from_secs(900),
        ..JwtSettings::default()
    });
    let issued = service.issue(&access_claims(7, 8, Utc::now())).unwrap();
    assert_eq!(issued.expires_in, 900);
    assert_eq!(service.access_token_lifetime_seconds(), 900);
    let claims = part(issued.access_token.expose(), 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 900
    );
}

#[test]
fn issued_token_lives_a_day_by_default() {
    let issued = service().issue(&access_claims(7, 8, Utc::now())).unwrap();
    assert_eq!(issued.expires_in, 86_400);
}

#[test]
fn issuer_and_audience_follow_the_settings() {
    let custom = service_with(JwtSettings {
        issuer: "https://auth.example".to_owned(),
        audience: "todo-api-eu".to_owned(),
        ..JwtSettings::default()
    });
    let issued = custom.issue(&access_claims(5, 6, Utc::now())).unwrap();
    let token = issued.access_token.expose();
    let payload = part(token, 1);
    assert_eq!(payload["iss"], json!("https://auth.example"));
    assert_eq!(payload["aud"], json!("todo-api-eu"));
    assert!(custom.verify(token).is_ok());
    // The default service expects other names.
    assert!(matches!(service().verify(token), Err(TokenError::Invalid)));
}

#[test]
fn issued_token_verifies_with_the_public_key_alone() {
    let issued = service().issue(&access_claims(5, 6, Utc::now())).unwrap();
    let key = DecodingKey::from_rsa_pem(keys().public_key_pem().as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[AUDIENCE]);
    let data =
        jsonwebtoken::decode::<serde_json::Value>(issued.access_token.expose(), &key, &validation)
            .unwrap();
    assert_eq!(data.claims["sub"], json!("5"));
    assert_eq!(data.claims["sid"], json!("6"));
}

#[test]
fn hand_signed_token_with_valid_claims_is_accepted() {
    // The anchor for the rejection tests: each changes one thing.
    assert_eq!(
        service().verify(&sign(&valid_claims())).unwrap(),
        expected_access()
    );
}

#[test]
fn audience_as_an_array_naming_us_is_accepted() {
    let token = sign(&claims_with(&json!({ "aud": ["someone-else", AUDIENCE] })));
    assert_eq!(service().verify(&token).unwrap(), expected_access());
}

#[test]
fn expired_token_within_the_leeway_is_accepted() {
    let now = now();
    let token = sign(&claims_with(
        &json!({ "iat": now - 100, "nbf": now - 100, "exp": now - 5 }),
    ));
    let lenient = service_with(JwtSettings {
        leeway_seconds: 60,
        ..JwtSettings::default()
    });
    assert_eq!(lenient.verify(&token).unwrap(), expected_access());
}

#[test]
fn token_just_under_the_size_limit_is_accepted() {
    let token = sign(&claims_with(&json!({ "padding": "x".repeat(5 * 1024) })));
    assert!(token.len() < auth::jwt::MAX_TOKEN_BYTES);
    assert_eq!(service().verify(&token).unwrap(), expected_access());
}

#[test]
fn issuing_for_non_positive_ids_or_without_jti_is_refused() {
    for (user, session) in [(0, 1), (-3, 1), (1, 0), (1, -1)] {
        assert!(matches!(
            service().issue(&access_claims(user, session, Utc::now())),
            Err(TokenError::Unexpected(_))
        ));
    }
    let mut claims = access_claims(1, 1, Utc::now());
    claims.token_id.clear();
    assert!(matches!(
        service().issue(&claims),
        Err(TokenError::Unexpected(_))
    ));
    let before_1970 = access_claims(1, 1, Utc.with_ymd_and_hms(1969, 1, 1, 0, 0, 0).unwrap());
    assert!(matches!(
        service().issue(&before_1970),
        Err(TokenError::Unexpected(_))
    ));
}

#[test]
fn settings_out_of_range_are_refused() {
    let build = |settings| {
        JwtTokenService::from_pem(
            keys().private_key_pem().as_bytes(),
            keys().public_key_pem().as_bytes(),
            &[],
            settings,
        )
    };
    for settings in [
        JwtSettings {
            access_token_lifetime: Duration::ZERO,
            ..JwtSettings::default()
        },
        JwtSettings {
            access_token_lifetime: Duration::from_secs(400 * 24 * 3600),
            ..JwtSettings::default()
        },
        JwtSettings {
            leeway_seconds: 301,
            ..JwtSettings::default()
        },
        JwtSettings {
            issuer: String::new(),
            ..JwtSettings::default()
        },
        JwtSettings {
            audience: " ".to_owned(),
            ..JwtSettings::default()
        },
    ] {
        assert!(build(settings.clone()).is_err(), "{settings:?}");
    }
}

#[test]
fn service_refuses_a_public_key_that_is_not_its_private_keys() {
    let err = JwtTokenService::from_pem(
        keys().private_key_pem().as_bytes(),
        other_keys().public_key_pem().as_bytes(),
        &[],
        JwtSettings::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err.downcast_ref::<KeyLoadError>(),
        Some(KeyLoadError::Mismatch { .. })
    ));
}

#[test]
fn debug_of_the_service_and_the_token_shows_no_secret() {
    let service = service();
    let shown = format!("{service:?} {service:#?}");
    assert!(shown.contains("JwtTokenService"));
    assert!(shown.contains(&kid()));
    assert!(!shown.contains("BEGIN"));
    for fragment in private_key_fragments() {
        assert!(!shown.contains(&fragment));
    }

    let issued = service.issue(&access_claims(42, 7, Utc::now())).unwrap();
    let shown = format!("{issued:?} {:?}", issued.access_token);
    for segment in issued.access_token.expose().split('.') {
        assert!(!shown.contains(segment), "token text in {shown}");
    }
}
