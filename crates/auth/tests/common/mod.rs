//! Shared test fixtures: RSA key pairs generated once per test binary, and
//! helpers to sign or hand-build tokens.

// Each test binary uses a different part of this module; a fixture that
// cannot be built is a failed test.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

pub mod key_encodings;

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use auth::keys::parse_public_key_pem;
use auth::{JwtSettings, JwtTokenService, KeyPairPem, generate_keypair, thumbprint};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::ports::{AccessClaims, TokenError, TokenService, VerifiedAccess};
use domain::{SessionId, UserId};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const ISSUER: &str = "todo-api";
pub const AUDIENCE: &str = "todo-api";

/// The pair the service under test signs with.
pub fn keys() -> &'static KeyPairPem {
    static KEYS: OnceLock<KeyPairPem> = OnceLock::new();
    KEYS.get_or_init(|| generate_keypair(2048).unwrap())
}

/// An unrelated pair: an attacker's key, or a retired key.
pub fn other_keys() -> &'static KeyPairPem {
    static KEYS: OnceLock<KeyPairPem> = OnceLock::new();
    KEYS.get_or_init(|| generate_keypair(2048).unwrap())
}

/// The RFC 7638 thumbprint of a pair's public key.
pub fn kid_of(pair: &KeyPairPem) -> String {
    thumbprint(&parse_public_key_pem(pair.public_key_pem().as_bytes(), "test").unwrap())
}

/// The `kid` of the service's signing key.
pub fn kid() -> String {
    kid_of(keys())
}

pub fn service_with(settings: JwtSettings) -> JwtTokenService {
    let keys = keys();
    JwtTokenService::from_pem(
        keys.private_key_pem().as_bytes(),
        keys.public_key_pem().as_bytes(),
        &[],
        settings,
    )
    .unwrap()
}

pub fn service() -> JwtTokenService {
    service_with(JwtSettings::default())
}

/// One default service per test binary, for the many refusal checks.
pub fn shared_service() -> &'static JwtTokenService {
    static SERVICE: OnceLock<JwtTokenService> = OnceLock::new();
    SERVICE.get_or_init(service)
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn access_claims(user: i64, session: i64, issued_at: DateTime<Utc>) -> AccessClaims {
    AccessClaims {
        user: UserId(user),
        session: SessionId(session),
        issued_at,
        token_id: format!("jti-{user}-{session}"),
    }
}

/// What a token for user 42 in session 7 verifies to.
pub fn expected_access() -> VerifiedAccess {
    VerifiedAccess {
        user: UserId(42),
        session: SessionId(7),
    }
}

/// Claims as our service would issue them for user 42 in session 7.
pub fn valid_claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "42",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": "b3f1a9",
        "sid": "7",
    })
}

/// `valid_claims()` with `changes` applied; a `null` value removes the claim.
pub fn claims_with(changes: &Value) -> Value {
    let mut claims = valid_claims();
    for (name, value) in changes.as_object().unwrap() {
        let object = claims.as_object_mut().unwrap();
        if value.is_null() {
            object.remove(name);
        } else {
            object.insert(name.clone(), value.clone());
        }
    }
    claims
}

/// The header our service issues.
pub fn our_header() -> Value {
    json!({ "typ": "at+jwt", "alg": "RS256", "kid": kid() })
}

/// `our_header()` with `changes` applied; a `null` value removes the member.
pub fn header_with(changes: &Value) -> Value {
    let mut header = our_header();
    for (name, value) in changes.as_object().unwrap() {
        let object = header.as_object_mut().unwrap();
        if value.is_null() {
            object.remove(name);
        } else {
            object.insert(name.clone(), value.clone());
        }
    }
    header
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_json(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

/// `base64url(header).base64url(claims)`.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64_json(header), b64_json(claims))
}

/// `input.signature` with a genuine RS256 signature by `private_pem` over
/// `input`, whatever it holds.
pub fn sign_input_with(private_pem: &str, input: &str) -> String {
    let key = RsaKeyPair::from_pkcs8(&key_encodings::pem_der(private_pem)).unwrap();
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{input}.{}", b64(&signature))
}

/// A genuine RS256 signature by `private_pem` over any header and claims.
pub fn sign_rs256_with(private_pem: &str, header: &Value, claims: &Value) -> String {
    sign_input_with(private_pem, &signing_input(header, claims))
}

/// Signed by the service's own key with `header`: only the header (or the
/// claims) can make such a token fail.
pub fn sign_header(header: &Value, claims: &Value) -> String {
    sign_rs256_with(keys().private_key_pem(), header, claims)
}

/// Signed by the service's own key with our header.
pub fn sign(claims: &Value) -> String {
    sign_header(&our_header(), claims)
}

/// An HMAC-SHA256 signature keyed with `secret`, whatever the header says.
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = signing_input(header, claims);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

/// `base64url(header).base64url(claims).signature`, built by hand.
pub fn forge(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{signature}", signing_input(header, claims))
}

/// The decoded JSON of a token's header (part 0) or payload (part 1).
pub fn part(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// Long runs of the private key's base64 body, to look for in output that
/// must not contain it.
pub fn private_key_fragments() -> Vec<String> {
    keys()
        .private_key_pem()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

/// Fails unless the default service refuses `token` as [`TokenError::Invalid`].
#[track_caller]
pub fn assert_invalid(token: &str) {
    assert_invalid_with(shared_service(), token);
}

/// Fails unless `service` refuses `token` as [`TokenError::Invalid`].
#[track_caller]
pub fn assert_invalid_with(service: &JwtTokenService, token: &str) {
    match service.verify(token) {
        Err(TokenError::Invalid) => {}
        other => panic!("expected Invalid for {token:.120?}, got {other:?}"),
    }
}
