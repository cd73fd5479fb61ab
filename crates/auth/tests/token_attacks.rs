//! Token attacks: every forged, confused, stale or malformed access token a
//! security reviewer would try is refused as `TokenError::Invalid` (never an
//! unexpected error, never a panic). Unless the attack is the signature
//! itself, tokens here carry a genuine signature by the service's own key, so
//! the one thing changed is what makes them fail.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use auth::JwtSettings;
use chrono::Utc;
use common::key_encodings::{pem_der, pkcs1_public_der, pkcs1_public_pem, public_components};
use common::{
    AUDIENCE, ISSUER, access_claims, assert_invalid, assert_invalid_with, b64, b64_json,
    claims_with, expected_access, forge, header_with, keys, kid, kid_of, now, other_keys,
    our_header, service_with, shared_service, sign, sign_header, sign_hs256, sign_input_with,
    sign_rs256_with, valid_claims,
};
use domain::RefreshToken;
use domain::ports::{RefreshTokens, TokenService};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pkcs8::der::pem::LineEnding;
use serde_json::{Value, json};

fn issued_token() -> String {
    shared_service()
        .issue(&access_claims(42, 7, Utc::now()))
        .unwrap()
        .access_token
        .expose()
        .to_owned()
}

fn signature_of(token: &str) -> String {
    token.rsplit('.').next().unwrap().to_owned()
}

/// The attacker's public key as a JWK.
fn attacker_jwk() -> Value {
    let (n, e) = public_components(other_keys().public_key_pem());
    json!({
        "kty": "RSA",
        "kid": kid_of(other_keys()),
        "use": "sig",
        "n": b64(&n),
        "e": b64(&e),
    })
}

// --- alg "none" and null signatures -----------------------------------------

#[test]
fn alg_none_in_every_casing_is_invalid() {
    let real_signature = signature_of(&issued_token());
    for alg in ["none", "None", "NONE", "nOnE"] {
        for header in [
            header_with(&json!({ "alg": alg })),
            json!({ "alg": alg }),
            json!({ "alg": alg, "typ": "JWT" }),
        ] {
            for signature in ["", "garbage", "AA", real_signature.as_str()] {
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
}

#[test]
fn null_signature_is_invalid() {
    // `header.payload.` of a genuine token...
    let token = issued_token();
    let (message, _) = token.rsplit_once('.').unwrap();
    assert_invalid(&format!("{message}."));
    // ...and of a hand-built one, with our exact header.
    assert_invalid(&forge(&our_header(), &valid_claims(), ""));
    // A signature of zero bytes of the right length.
    assert_invalid(&forge(&our_header(), &valid_claims(), &b64(&[0_u8; 256])));
}

#[test]
fn tampered_payload_or_signature_is_invalid() {
    let token = issued_token();
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = b64_json(&claims_with(&json!({ "sub": "1" })));
    parts[1] = &forged_payload;
    assert_invalid(&parts.join("."));

    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut flipped = signature.to_owned().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    assert_invalid(&format!(
        "{message}.{}",
        String::from_utf8(flipped).unwrap()
    ));
}

// --- algorithm confusion: HMAC keyed with public material or weak secrets ---

#[test]
fn hs256_signed_with_the_public_key_pem_or_der_is_invalid() {
    let pem = keys().public_key_pem();
    assert!(pem.ends_with('\n'));
    let spki_der = pem_der(pem);
    let pkcs1_der = pkcs1_public_der(pem);
    let pkcs1_pem = pkcs1_public_pem(pem, LineEnding::LF).into_bytes();
    let secrets: [&[u8]; 5] = [
        pem.as_bytes(),
        pem.trim_end().as_bytes(),
        &spki_der,
        &pkcs1_der,
        &pkcs1_pem,
    ];
    for secret in secrets {
        for header in [
            header_with(&json!({ "alg": "HS256" })),
            json!({ "alg": "HS256", "typ": "JWT" }),
        ] {
            assert_invalid(&sign_hs256(&header, &valid_claims(), secret));
        }
        // The other HMAC sizes, through a JWT library as an attacker would.
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut header = Header::new(alg);
            header.typ = Some("at+jwt".to_owned());
            header.kid = Some(kid());
            let key = EncodingKey::from_secret(secret).unwrap();
            let token = jsonwebtoken::encode(&header, &valid_claims(), &key).unwrap();
            assert_invalid(&token);
        }
    }
}

#[test]
fn hs256_with_an_empty_or_common_secret_is_invalid() {
    let kid = kid();
    let secrets = [
        "",
        "secret",
        "password",
        "changeme",
        "your-256-bit-secret",
        "jwt-secret",
        ISSUER,
        AUDIENCE,
        kid.as_str(),
    ];
    for secret in secrets {
        let header = header_with(&json!({ "alg": "HS256" }));
        assert_invalid(&sign_hs256(&header, &valid_claims(), secret.as_bytes()));
    }
}

#[test]
fn other_rsa_algorithms_with_our_own_key_are_invalid() {
    let key = EncodingKey::from_rsa_pem(keys().private_key_pem().as_bytes()).unwrap();
    for alg in [
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        let mut header = Header::new(alg);
        header.typ = Some("at+jwt".to_owned());
        header.kid = Some(kid());
        assert_invalid(&jsonwebtoken::encode(&header, &valid_claims(), &key).unwrap());
    }
    // A lower-case spelling of our own algorithm is not our algorithm.
    assert_invalid(&sign_header(
        &header_with(&json!({ "alg": "rs256" })),
        &valid_claims(),
    ));
}

#[test]
fn token_signed_by_another_key_under_our_kid_is_invalid() {
    assert_invalid(&sign_rs256_with(
        other_keys().private_key_pem(),
        &our_header(),
        &valid_claims(),
    ));
}

// --- keys carried or pointed at by the token --------------------------------

#[test]
fn embedded_jwk_header_is_invalid() {
    let attacker = other_keys().private_key_pem();
    let jwk = attacker_jwk();
    // The attacker's own key, named by its own kid, signing.
    let theirs = header_with(&json!({ "kid": kid_of(other_keys()), "jwk": jwk }));
    assert_invalid(&sign_rs256_with(attacker, &theirs, &valid_claims()));
    // The same, claiming our kid.
    let ours = header_with(&json!({ "jwk": jwk }));
    assert_invalid(&sign_rs256_with(attacker, &ours, &valid_claims()));
    // Even our own key, signing with a `jwk` member present: refused outright.
    assert_invalid(&sign_header(&ours, &valid_claims()));
}

#[test]
fn jku_x5u_and_x5c_headers_are_invalid_and_nothing_is_fetched() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let attacker = other_keys().private_key_pem();
    let their_kid = kid_of(other_keys());
    for (member, url) in [
        ("jku", format!("http://127.0.0.1:{port}/jwks.json")),
        ("x5u", format!("http://127.0.0.1:{port}/cert.pem")),
        ("jku", "http://127.0.0.1:9/".to_owned()),
        ("x5u", "http://127.0.0.1:9/".to_owned()),
    ] {
        let with_their_kid = header_with(&json!({ member: url, "kid": their_kid }));
        assert_invalid(&sign_rs256_with(attacker, &with_their_kid, &valid_claims()));
        let with_our_kid = header_with(&json!({ member: url }));
        assert_invalid(&sign_rs256_with(attacker, &with_our_kid, &valid_claims()));
        assert_invalid(&sign_header(&with_our_kid, &valid_claims()));
    }
    let x5c = header_with(&json!({ "x5c": [b64(b"not a certificate")] }));
    assert_invalid(&sign_rs256_with(attacker, &x5c, &valid_claims()));
    assert_invalid(&sign_header(&x5c, &valid_claims()));

    // Had anything connected, the connection would be waiting in the backlog.
    listener.set_nonblocking(true).unwrap();
    match listener.accept() {
        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("the verifier connected to the jku/x5u URL from {peer}"),
        Err(err) => panic!("unexpected accept error: {err}"),
    }
}

// --- kid ---------------------------------------------------------------------

const INJECTED_KIDS: [&str; 12] = [
    "../../etc/passwd",
    "../../../../../../dev/zero",
    "/dev/random",
    "file:///etc/passwd",
    "' OR 1=1--",
    "x' UNION SELECT 'secret' --",
    "$(rm -rf /)",
    "`id`",
    "key; cat /etc/shadow | nc 127.0.0.1 9",
    "%00",
    "\u{0}",
    "kid\r\nX-Injected: yes",
];

fn token_with_kid(kid: &str) -> String {
    sign_header(&header_with(&json!({ "kid": kid })), &valid_claims())
}

#[test]
fn kid_injection_is_invalid() {
    for kid in INJECTED_KIDS {
        assert_invalid(&token_with_kid(kid));
    }
    // A 10 KiB kid, and one that still fits the token size limit.
    assert_invalid(&token_with_kid(&"A".repeat(10 * 1024)));
    assert_invalid(&token_with_kid(&"../".repeat(1000)));
}

#[test]
fn kid_injection_costs_no_more_than_an_unknown_kid() {
    const ROUNDS: u32 = 300;
    let time = |token: &str| {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            assert!(shared_service().verify(token).is_err());
        }
        start.elapsed() / ROUNDS
    };
    let baseline = time(&token_with_kid("unknown-key"));
    let mut slowest = Duration::ZERO;
    let injected = INJECTED_KIDS.iter().map(|kid| token_with_kid(kid)).chain([
        token_with_kid(&"A".repeat(10 * 1024)),
        token_with_kid(&"../".repeat(1000)),
    ]);
    for token in injected {
        slowest = slowest.max(time(&token));
    }
    eprintln!(
        "kid lookup: unknown kid {baseline:?} per verification, slowest injected kid {slowest:?}"
    );
    // Loose on purpose: a file read, a query or a process would take far
    // longer; scheduling noise must not fail the test.
    assert!(baseline < Duration::from_millis(5), "{baseline:?}");
    assert!(slowest < Duration::from_millis(5), "{slowest:?}");
}

#[test]
fn unknown_kid_is_invalid() {
    let ours = kid();
    let first = if ours.starts_with('A') { "B" } else { "A" };
    for kid in [
        "unknown-key".to_owned(),
        kid_of(other_keys()),
        // Our kid, one character changed, cut, extended, or re-cased.
        format!("{first}{}", &ours[1..]),
        ours[..42].to_owned(),
        format!("{ours}A"),
        ours.to_lowercase(),
        ours.to_uppercase(),
    ] {
        if kid != ours {
            assert_invalid(&token_with_kid(&kid));
        }
    }
}

#[test]
fn missing_empty_or_ill_typed_kid_is_invalid() {
    for kid in [
        Value::Null,
        json!(""),
        json!(7),
        json!([kid()]),
        json!({ "kid": kid() }),
    ] {
        let mut header = our_header();
        if kid.is_null() {
            header.as_object_mut().unwrap().remove("kid");
        } else {
            header["kid"] = kid;
        }
        assert_invalid(&sign_header(&header, &valid_claims()));
    }
}

// --- other header members ----------------------------------------------------

#[test]
fn crit_header_is_invalid() {
    for header in [
        header_with(&json!({ "crit": ["exp"] })),
        header_with(&json!({ "crit": [] })),
        header_with(&json!({ "crit": ["b64"], "b64": false })),
    ] {
        assert_invalid(&sign_header(&header, &valid_claims()));
    }
}

#[test]
fn duplicate_or_unknown_header_members_are_invalid() {
    let claims = b64_json(&valid_claims());
    let kid = kid();
    for header in [
        format!(r#"{{"typ":"at+jwt","alg":"RS256","kid":"{kid}","alg":"none"}}"#),
        format!(r#"{{"typ":"at+jwt","alg":"none","kid":"{kid}","alg":"RS256"}}"#),
        format!(r#"{{"typ":"at+jwt","alg":"RS256","kid":"unknown","kid":"{kid}"}}"#),
        format!(r#"{{"typ":"at+jwt","alg":"RS256","kid":"{kid}","zip":"DEF"}}"#),
        format!(r#"{{"typ":"at+jwt","alg":"RS256","kid":"{kid}","enc":"A256GCM"}}"#),
    ] {
        let input = format!("{}.{claims}", b64(header.as_bytes()));
        assert_invalid(&sign_input_with(keys().private_key_pem(), &input));
    }
}

#[test]
fn typ_other_than_at_jwt_is_invalid() {
    for typ in [
        Value::Null,
        json!("JWT"),
        json!("jwt"),
        json!("JOSE"),
        json!("id_token+jwt"),
        json!("dpop+jwt"),
        json!("logout+jwt"),
        json!("application/jwt"),
        json!("at+jwt "),
        json!(["at+jwt"]),
    ] {
        let mut header = our_header();
        if typ.is_null() {
            header.as_object_mut().unwrap().remove("typ");
        } else {
            header["typ"] = typ;
        }
        assert_invalid(&sign_header(&header, &valid_claims()));
    }
}

#[test]
fn typ_at_jwt_is_accepted_in_any_casing_and_as_a_media_type() {
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        let token = sign_header(&header_with(&json!({ "typ": typ })), &valid_claims());
        assert_eq!(
            shared_service().verify(&token).unwrap(),
            expected_access(),
            "{typ}"
        );
    }
}

// --- time ----------------------------------------------------------------------

#[test]
fn exp_one_second_past_with_zero_leeway_is_invalid() {
    let now = now();
    let strict = service_with(JwtSettings {
        leeway_seconds: 0,
        ..JwtSettings::default()
    });
    let token = sign(&claims_with(
        &json!({ "iat": now - 60, "nbf": now - 60, "exp": now - 1 }),
    ));
    assert_invalid_with(&strict, &token);
}

#[test]
fn missing_exp_is_invalid() {
    assert_invalid(&sign(&claims_with(&json!({ "exp": null }))));
}

#[test]
fn nbf_or_iat_in_the_future_is_invalid() {
    let now = now();
    assert_invalid(&sign(&claims_with(&json!({ "nbf": now + 60 }))));
    assert_invalid(&sign(&claims_with(
        &json!({ "iat": now + 60, "nbf": now + 60 }),
    )));
    assert_invalid(&sign(&claims_with(&json!({ "iat": now + 600 }))));
}

#[test]
fn missing_iat_nbf_or_sub_is_invalid() {
    for claim in ["iat", "nbf", "sub"] {
        assert_invalid(&sign(&claims_with(&json!({ claim: null }))));
    }
}

// --- claims --------------------------------------------------------------------

#[test]
fn wrong_typed_claims_are_invalid() {
    let now = now();
    for changes in [
        json!({ "exp": "tomorrow" }),
        json!({ "exp": (now + 3600).to_string() }),
        json!({ "exp": (now as f64) + 3600.5 }),
        json!({ "exp": -1 }),
        json!({ "exp": [now + 3600] }),
        json!({ "iat": "now" }),
        json!({ "iat": -1 }),
        json!({ "nbf": "now" }),
        json!({ "sub": ["42"] }),
        json!({ "sub": 42 }),
        json!({ "sub": { "id": 42 } }),
        json!({ "sub": true }),
        json!({ "sid": { "id": 7 } }),
        json!({ "sid": 7 }),
        json!({ "sid": ["7"] }),
        json!({ "jti": 5 }),
        json!({ "jti": ["a"] }),
        json!({ "iss": [ISSUER] }),
        json!({ "iss": 1 }),
        json!({ "aud": 1 }),
        json!({ "aud": [1] }),
        json!({ "aud": { "aud": AUDIENCE } }),
    ] {
        assert_invalid(&sign(&claims_with(&changes)));
    }
}

#[test]
fn sub_or_sid_that_is_not_a_positive_canonical_id_is_invalid() {
    for id in [
        "abc",
        "-5",
        "0",
        "",
        "+5",
        "05",
        "1.0",
        " 42",
        "42 ",
        "1e3",
        "9223372036854775808",
    ] {
        assert_invalid(&sign(&claims_with(&json!({ "sub": id }))));
        assert_invalid(&sign(&claims_with(&json!({ "sid": id }))));
    }
}

#[test]
fn wrong_or_missing_issuer_is_invalid() {
    for iss in [
        Value::Null,
        json!("someone-else"),
        json!("TODO-API"),
        json!("todo-api "),
        json!(""),
    ] {
        assert_invalid(&sign(&claims_with(&json!({ "iss": iss }))));
    }
}

#[test]
fn wrong_or_missing_audience_is_invalid() {
    for aud in [
        Value::Null,
        json!("someone-else"),
        json!("TODO-API"),
        json!(""),
        json!([]),
        json!(["someone-else"]),
    ] {
        assert_invalid(&sign(&claims_with(&json!({ "aud": aud }))));
    }
}

#[test]
fn missing_sid_is_invalid() {
    assert_invalid(&sign(&claims_with(&json!({ "sid": null }))));
}

#[test]
fn missing_or_empty_jti_is_invalid() {
    assert_invalid(&sign(&claims_with(&json!({ "jti": null }))));
    assert_invalid(&sign(&claims_with(&json!({ "jti": "" }))));
}

// --- not an access token at all ---------------------------------------------

#[test]
fn refresh_token_presented_as_access_token_is_invalid() {
    let refresh = shared_service().refresh_tokens();
    let token = refresh.generate();
    assert_eq!(token.expose().len(), 43);
    assert_invalid(token.expose());
    assert_invalid(refresh.successor(&token).expose());
    assert_invalid(&refresh.token_id(&RefreshToken::new("x".into())));
}

#[test]
fn token_of_64_kib_is_invalid() {
    let padded = sign(&claims_with(&json!({ "padding": "x".repeat(64 * 1024) })));
    assert!(padded.len() > 64 * 1024);
    assert_invalid(&padded);
    assert_invalid(&"a".repeat(64 * 1024));
    assert_invalid(&format!(
        "{}.{}.{}",
        "a".repeat(21_845),
        "b".repeat(21_845),
        "c".repeat(21_845)
    ));
    assert_invalid(&"a".repeat(1024 * 1024));
}

#[test]
fn garbage_is_invalid() {
    let random = b64(&rand::random::<[u8; 32]>());
    for token in [
        "",
        " ",
        ".",
        "..",
        "...",
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
    // A header that is JSON but not an object, or not JSON; a payload that
    // is not JSON; a token with padding.
    let claims = b64_json(&valid_claims());
    assert_invalid(&format!("{}.{claims}.x", b64(b"[1,2]")));
    assert_invalid(&format!("{}.{claims}.x", b64(b"{\"alg\":")));
    assert_invalid(&sign_header(&our_header(), &json!("just a string")));
    let genuine = issued_token();
    assert_invalid(&format!("{genuine}="));
    assert_invalid(&format!("{genuine}.x"));
    assert_invalid(&format!(" {genuine}"));
}
