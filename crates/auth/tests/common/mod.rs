//! Shared test fixtures: RSA key pairs generated once per test binary, and
//! helpers to sign or hand-build tokens.

// Each test binary uses a different part of this module; a fixture that
// cannot be built is a failed test.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use auth::{JwtSettings, JwtTokenService, KeyPairPem, generate_keypair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

/// The pair the service under test uses.
pub fn keys() -> &'static KeyPairPem {
    static KEYS: OnceLock<KeyPairPem> = OnceLock::new();
    KEYS.get_or_init(|| generate_keypair(2048).unwrap())
}

/// An unrelated pair, for "signed by someone else" and mismatch cases.
pub fn other_keys() -> &'static KeyPairPem {
    static KEYS: OnceLock<KeyPairPem> = OnceLock::new();
    KEYS.get_or_init(|| generate_keypair(2048).unwrap())
}

pub fn service_with(settings: JwtSettings) -> JwtTokenService {
    let keys = keys();
    JwtTokenService::from_pem(
        keys.private_key_pem().as_bytes(),
        keys.public_key_pem().as_bytes(),
        settings,
    )
    .unwrap()
}

pub fn service() -> JwtTokenService {
    service_with(JwtSettings::default())
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims as our service would issue them for user 42.
pub fn valid_claims() -> Value {
    let now = now();
    serde_json::json!({ "sub": "42", "iat": now, "nbf": now, "exp": now + 3600 })
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_json(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

/// Signs arbitrary claims with `alg` and the given PEM private key.
pub fn sign_with(alg: Algorithm, private_pem: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(alg), claims, &key).unwrap()
}

/// Signs arbitrary claims with RS256 and the service's own private key: only
/// the claims can make such a token fail.
pub fn sign(claims: &Value) -> String {
    sign_with(Algorithm::RS256, keys().private_key_pem(), claims)
}

/// `base64url(header).base64url(claims).signature`, built by hand.
pub fn forge(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64_json(header), b64_json(claims))
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
