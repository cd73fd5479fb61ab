//! Refresh-token material: random tokens, keyed successors and access-token
//! ids, and the stored hash.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use auth::keys::parse_private_key_pem;
use auth::{HmacRefreshTokens, JwtSettings, JwtTokenService};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::key_encodings::pkcs1_private_pem;
use common::{keys, other_keys, private_key_fragments, service};
use domain::RefreshToken;
use domain::ports::RefreshTokens;

fn is_url_safe(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn token(text: &str) -> RefreshToken {
    RefreshToken::new(text.to_owned())
}

#[test]
fn generated_tokens_are_43_url_safe_characters_of_256_random_bits() {
    let refresh = service().refresh_tokens();
    for _ in 0..100 {
        let generated = refresh.generate();
        let text = generated.expose();
        assert_eq!(text.len(), 43, "{text}");
        assert!(is_url_safe(text), "{text}");
        assert_eq!(URL_SAFE_NO_PAD.decode(text).unwrap().len(), 32);
    }
}

#[test]
fn generated_tokens_are_unique() {
    let refresh = service().refresh_tokens();
    let tokens: HashSet<String> = (0..20_000)
        .map(|_| refresh.generate().expose().to_owned())
        .collect();
    assert_eq!(tokens.len(), 20_000);
}

#[test]
fn successor_is_deterministic_url_safe_and_differs_from_its_input() {
    let refresh = service().refresh_tokens();
    let presented = refresh.generate();
    let successor = refresh.successor(&presented);
    assert_eq!(successor, refresh.successor(&presented));
    assert_ne!(successor, presented);
    assert_eq!(successor.expose().len(), 43);
    assert!(is_url_safe(successor.expose()));
    // A chain of successors does not loop back.
    let mut seen = HashSet::from([presented.expose().to_owned()]);
    let mut current = presented;
    for _ in 0..1000 {
        current = refresh.successor(&current);
        assert!(seen.insert(current.expose().to_owned()));
    }
}

#[test]
fn token_id_is_deterministic_and_unlike_the_successor() {
    let refresh = service().refresh_tokens();
    let paired = refresh.generate();
    let jti = refresh.token_id(&paired);
    assert_eq!(jti, refresh.token_id(&paired));
    assert!(jti.len() >= 22, "at least 128 bits: {jti}");
    assert!(is_url_safe(&jti));
    assert_ne!(jti, paired.expose());
    assert_ne!(jti, refresh.successor(&paired).expose());
    assert_ne!(jti, refresh.token_id(&refresh.generate()));
}

#[test]
fn hash_is_the_hex_sha256_of_the_token() {
    let refresh = service().refresh_tokens();
    assert_eq!(
        refresh.hash(&token("abc")).as_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let generated = refresh.generate();
    let hash = refresh.hash(&generated);
    assert_eq!(hash, refresh.hash(&generated));
    assert_eq!(hash.as_str().len(), 64);
    assert!(
        hash.as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_ne!(hash, refresh.hash(&refresh.successor(&generated)));
}

#[test]
fn hash_does_not_depend_on_the_signing_key() {
    // Stored hashes must survive a key rotation.
    let ours = service().refresh_tokens();
    let theirs = other_service().refresh_tokens();
    let presented = ours.generate();
    assert_eq!(ours.hash(&presented), theirs.hash(&presented));
}

fn other_service() -> JwtTokenService {
    JwtTokenService::from_pem(
        other_keys().private_key_pem().as_bytes(),
        other_keys().public_key_pem().as_bytes(),
        &[],
        JwtSettings::default(),
    )
    .unwrap()
}

#[test]
fn services_sharing_the_private_key_derive_the_same_successor_and_token_id() {
    let first = service().refresh_tokens();
    let second = service().refresh_tokens();
    // The same key read from its PKCS#1 form: the derivation uses one
    // canonical encoding, whatever the file held.
    let pkcs1_pem = pkcs1_private_pem(keys().private_key_pem());
    let third = HmacRefreshTokens::from_private_key(
        &parse_private_key_pem(pkcs1_pem.as_bytes(), None, "pkcs1").unwrap(),
    )
    .unwrap();
    let presented = token("a-refresh-token-presented-on-two-instances");
    let successor = first.successor(&presented);
    assert_eq!(second.successor(&presented), successor);
    assert_eq!(third.successor(&presented), successor);
    assert_eq!(first.token_id(&presented), second.token_id(&presented));
    assert_eq!(first.token_id(&presented), third.token_id(&presented));
}

#[test]
fn different_private_keys_derive_different_successors_and_token_ids() {
    let ours = service().refresh_tokens();
    let theirs = other_service().refresh_tokens();
    let presented = token("the-same-token");
    assert_ne!(ours.successor(&presented), theirs.successor(&presented));
    assert_ne!(ours.token_id(&presented), theirs.token_id(&presented));
}

#[test]
fn debug_shows_no_key_and_no_token() {
    let refresh = service().refresh_tokens();
    let shown = format!("{refresh:?} {refresh:#?}");
    assert!(shown.contains("HmacRefreshTokens"));
    assert!(shown.contains("<redacted>"));
    for fragment in private_key_fragments() {
        assert!(!shown.contains(&fragment));
    }
    let generated = refresh.generate();
    let shown = format!("{generated:?} {:?}", refresh.hash(&generated));
    assert!(!shown.contains(generated.expose()));
}
