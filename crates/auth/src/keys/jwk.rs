//! Public keys as JSON Web Keys (RFC 7517) and their RFC 7638 thumbprints,
//! which serve as the `kid` of the tokens a key signs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::PublicKey;

/// The RFC 7638 thumbprint of an RSA public key: base64url (no padding) of
/// the SHA-256 of `{"e":"..","kty":"RSA","n":".."}`, the required members in
/// lexicographic order without whitespace. Deterministic, so every instance
/// (and any client holding the JWKS) computes the same `kid` for a key.
#[must_use]
pub fn thumbprint(public: &PublicKey) -> String {
    let (n, e) = components(public);
    // Both values are base64url text, which needs no JSON escaping.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The key as a JWK for the published key set: public members only, never
/// `d`, `p`, `q`, `dp`, `dq` or `qi`.
pub(crate) fn public_jwk(public: &PublicKey, kid: &str) -> Value {
    let (n, e) = components(public);
    json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": n,
        "e": e,
    })
}

/// The modulus and exponent, big-endian without leading zeros, base64url.
fn components(public: &PublicKey) -> (String, String) {
    (
        URL_SAFE_NO_PAD.encode(public.modulus()),
        URL_SAFE_NO_PAD.encode(public.exponent()),
    )
}
