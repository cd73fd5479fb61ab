//! The RS256 token service, black-box: what it issues, and every kind of
//! token it must refuse.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::Duration;

use auth::JwtSettings;
use auth::keys::KeyLoadError;
use common::{
    b64, b64_json, forge, keys, now, other_keys, part, private_key_fragments, service,
    service_with, sign, sign_with, valid_claims,
};
use domain::UserId;
use domain::ports::{TokenError, TokenService};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

fn assert_invalid(token: &str) {
    match service().verify(token) {
        Err(TokenError::Invalid) => {}
        other => panic!("expected Invalid for {token:.80?}, got {other:?}"),
    }
}

#[test]
fn issued_token_verifies_back_to_its_user() {
    let service = service();
    let issued = service.issue(UserId(42)).unwrap();
    assert_eq!(
        service.verify(issued.access_token.expose()).unwrap(),
        UserId(42)
    );

    let big = service.issue(UserId(i64::MAX)).unwrap();
    assert_eq!(
        service.verify(big.access_token.expose()).unwrap(),
        UserId(i64::MAX)
    );
}

#[test]
fn issued_token_lives_a_day_by_default() {
    let issued = service().issue(UserId(7)).unwrap();
    assert_eq!(issued.expires_in, 86_400);
    let claims = part(issued.access_token.expose(), 1);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        86_400
    );
}

#[test]
fn issued_token_lifetime_follows_the_settings() {
    let service = service_with(JwtSettings {
        access_token_lifetime: Duration::from_secs(900),
        leeway_seconds: 0,
    });
    let before = now();
    let issued = service.issue(UserId(7)).unwrap();
    assert_eq!(issued.expires_in, 900);
    assert_eq!(service.access_token_lifetime_seconds(), 900);

    let claims = part(issued.access_token.expose(), 1);
    let iat = claims["iat"].as_u64().unwrap();
    assert!(iat >= before && iat <= now());
    assert_eq!(claims["exp"].as_u64().unwrap(), iat + 900);
    assert_eq!(claims["nbf"].as_u64().unwrap(), iat);
    assert_eq!(claims["sub"], json!("7"));
}

#[test]
fn issued_token_header_is_rs256_jwt() {
    let issued = service().issue(UserId(1)).unwrap();
    let header = part(issued.access_token.expose(), 0);
    assert_eq!(header["alg"], json!("RS256"));
    assert_eq!(header["typ"], json!("JWT"));
}

#[test]
fn issued_token_verifies_with_the_public_key_alone() {
    let issued = service().issue(UserId(5)).unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(keys().public_key_pem().as_bytes()).unwrap();
    let data = jsonwebtoken::decode::<serde_json::Value>(
        issued.access_token.expose(),
        &key,
        &jsonwebtoken::Validation::new(Algorithm::RS256),
    )
    .unwrap();
    assert_eq!(data.claims["sub"], json!("5"));
}

#[test]
fn hand_signed_token_with_valid_claims_is_accepted() {
    // The anchor for the rejection tests below: each changes one thing.
    assert_eq!(
        service().verify(&sign(&valid_claims())).unwrap(),
        UserId(42)
    );
}

#[test]
fn issuing_for_a_non_positive_user_id_is_refused() {
    assert!(matches!(
        service().issue(UserId(0)),
        Err(TokenError::Unexpected(_))
    ));
    assert!(matches!(
        service().issue(UserId(-3)),
        Err(TokenError::Unexpected(_))
    ));
}

#[test]
fn alg_none_is_rejected_in_every_casing() {
    let real = service().issue(UserId(42)).unwrap();
    let real_signature = real
        .access_token
        .expose()
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({ "alg": alg, "typ": "JWT" });
        for signature in ["", "garbage", real_signature.as_str()] {
            assert_invalid(&forge(&header, &valid_claims(), signature));
        }
        // Two segments only, as some libraries emit for `none`.
        assert_invalid(&format!(
            "{}.{}",
            b64_json(&header),
            b64_json(&valid_claims())
        ));
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_rejected() {
    // The classic key-confusion attack: HMAC keyed with the public PEM text.
    let public_pem = keys().public_key_pem().as_bytes();
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &valid_claims(),
            &EncodingKey::from_secret(public_pem),
        )
        .unwrap();
        assert_invalid(&token);
    }
}

#[test]
fn other_rsa_algorithms_with_our_own_key_are_rejected() {
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        assert_invalid(&sign_with(alg, keys().private_key_pem(), &valid_claims()));
    }
}

#[test]
fn token_signed_by_another_key_is_rejected() {
    assert_invalid(&sign_with(
        Algorithm::RS256,
        other_keys().private_key_pem(),
        &valid_claims(),
    ));
}

#[test]
fn tampered_payload_is_rejected() {
    let issued = service().issue(UserId(42)).unwrap();
    let token = issued.access_token.expose();
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut claims = part(token, 1);
    claims["sub"] = json!("1");
    let forged_payload = b64_json(&claims);
    parts[1] = &forged_payload;
    assert_invalid(&parts.join("."));
}

#[test]
fn tampered_signature_is_rejected() {
    let issued = service().issue(UserId(42)).unwrap();
    let token = issued.access_token.expose();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut flipped = signature.to_owned().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    assert_invalid(&format!(
        "{message}.{}",
        String::from_utf8(flipped).unwrap()
    ));
    assert_invalid(&format!("{message}."));
}

#[test]
fn expired_token_is_rejected() {
    let now = now();
    assert_invalid(&sign(
        &json!({ "sub": "42", "iat": now - 100, "exp": now - 5 }),
    ));
}

#[test]
fn expired_token_within_the_leeway_is_accepted() {
    let now = now();
    let token = sign(&json!({ "sub": "42", "iat": now - 100, "exp": now - 5 }));
    let lenient = service_with(JwtSettings {
        leeway_seconds: 60,
        ..JwtSettings::default()
    });
    assert_eq!(lenient.verify(&token).unwrap(), UserId(42));
}

#[test]
fn token_not_yet_valid_is_rejected() {
    let now = now();
    assert_invalid(&sign(
        &json!({ "sub": "42", "iat": now, "nbf": now + 600, "exp": now + 3600 }),
    ));
}

#[test]
fn token_issued_in_the_future_is_rejected() {
    let now = now();
    assert_invalid(&sign(
        &json!({ "sub": "42", "iat": now + 600, "exp": now + 3600 }),
    ));
}

#[test]
fn token_missing_exp_is_rejected() {
    let now = now();
    assert_invalid(&sign(&json!({ "sub": "42", "iat": now, "nbf": now })));
}

#[test]
fn token_missing_sub_is_rejected() {
    let now = now();
    assert_invalid(&sign(&json!({ "iat": now, "nbf": now, "exp": now + 3600 })));
}

#[test]
fn token_missing_iat_is_rejected() {
    let now = now();
    assert_invalid(&sign(
        &json!({ "sub": "42", "nbf": now, "exp": now + 3600 }),
    ));
}

#[test]
fn ill_typed_time_claims_are_rejected() {
    let now = now();
    assert_invalid(&sign(
        &json!({ "sub": "42", "iat": now, "exp": "tomorrow" }),
    ));
    assert_invalid(&sign(
        &json!({ "sub": "42", "iat": "now", "exp": now + 3600 }),
    ));
    assert_invalid(&sign(&json!({ "sub": "42", "iat": -1, "exp": now + 3600 })));
}

#[test]
fn subject_that_is_not_a_positive_user_id_is_rejected() {
    let now = now();
    for sub in [
        json!("abc"),
        json!("-5"),
        json!("0"),
        json!(""),
        json!("+5"),
        json!("05"),
        json!("1.0"),
        json!(" 42"),
        json!("9223372036854775808"),
        json!(42),
        json!(["42"]),
        json!({ "id": 42 }),
        json!(null),
    ] {
        let token = sign(&json!({ "sub": sub, "iat": now, "exp": now + 3600 }));
        assert_invalid(&token);
    }
}

#[test]
fn garbage_is_rejected() {
    let random = b64(&rand::random::<[u8; 32]>());
    for token in [
        "",
        " ",
        ".",
        "..",
        "a.b.c",
        "a.b.c.d",
        "Bearer a.b.c",
        "not a token at all",
        "eyJhbGciOiJSUzI1NiJ9",
        "eyJhbGciOiJSUzI1NiJ9..",
        "\u{0}\u{1}\u{2}",
        "é.é.é",
        random.as_str(),
        &format!("{random}.{random}.{random}"),
    ] {
        assert_invalid(token);
    }
    // A header that is JSON but not an object, or not JSON.
    assert_invalid(&format!(
        "{}.{}.x",
        b64(b"[1,2]"),
        b64_json(&valid_claims())
    ));
    assert_invalid(&format!(
        "{}.{}.x",
        b64(b"{\"alg\":"),
        b64_json(&valid_claims())
    ));
}

#[test]
fn oversized_token_is_rejected_even_with_a_valid_signature() {
    let mut claims = valid_claims();
    claims["padding"] = json!("x".repeat(10 * 1024));
    let token = sign(&claims);
    assert!(token.len() > auth::jwt::MAX_TOKEN_BYTES);
    assert_invalid(&token);

    let huge = "a".repeat(1024 * 1024);
    assert_invalid(&huge);
}

#[test]
fn token_just_under_the_size_limit_is_accepted() {
    let mut claims = valid_claims();
    claims["padding"] = json!("x".repeat(5 * 1024));
    let token = sign(&claims);
    assert!(token.len() < auth::jwt::MAX_TOKEN_BYTES);
    assert_eq!(service().verify(&token).unwrap(), UserId(42));
}

#[test]
fn critical_header_extensions_are_rejected() {
    let key = EncodingKey::from_rsa_pem(keys().private_key_pem().as_bytes()).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.crit = Some(vec!["exp".to_owned()]);
    let token = jsonwebtoken::encode(&header, &valid_claims(), &key).unwrap();
    assert_invalid(&token);
}

#[test]
fn token_with_an_audience_we_do_not_serve_is_rejected() {
    let mut claims = valid_claims();
    claims["aud"] = json!("someone-else");
    assert_invalid(&sign(&claims));
}

#[test]
fn settings_out_of_range_are_refused() {
    let keys = keys();
    let build = |settings| {
        auth::JwtTokenService::from_pem(
            keys.private_key_pem().as_bytes(),
            keys.public_key_pem().as_bytes(),
            settings,
        )
    };
    assert!(
        build(JwtSettings {
            access_token_lifetime: Duration::ZERO,
            leeway_seconds: 0
        })
        .is_err()
    );
    assert!(
        build(JwtSettings {
            access_token_lifetime: Duration::from_secs(400 * 24 * 3600),
            leeway_seconds: 0
        })
        .is_err()
    );
    assert!(
        build(JwtSettings {
            leeway_seconds: 301,
            ..JwtSettings::default()
        })
        .is_err()
    );
}

#[test]
fn service_refuses_a_public_key_that_is_not_its_private_keys() {
    let err = auth::JwtTokenService::from_pem(
        keys().private_key_pem().as_bytes(),
        other_keys().public_key_pem().as_bytes(),
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
    assert!(!shown.contains("BEGIN"));
    for fragment in private_key_fragments() {
        assert!(!shown.contains(&fragment));
    }

    let issued = service.issue(UserId(42)).unwrap();
    let shown = format!("{issued:?} {:?}", issued.access_token);
    for segment in issued.access_token.expose().split('.') {
        assert!(!shown.contains(segment), "token text in {shown}");
    }
}
