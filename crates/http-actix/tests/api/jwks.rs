//! `GET /.well-known/jwks.json`: the public keys, never a private member,
//! cacheable, and the keys that verify the tokens we issue.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_common_headers, header, json_of, jwt_parts};

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

async fn jwks(app: &TestApp) -> Value {
    let response = app.get("/.well-known/jwks.json", None).await;
    assert_common_headers(&response);
    let cache = header(&response, "cache-control").expect("Cache-Control");
    let directives: BTreeSet<&str> = cache.split(',').map(str::trim).collect();
    assert!(directives.contains("public"), "{cache}");
    assert!(
        directives.iter().any(|d| d
            .strip_prefix("max-age=")
            .is_some_and(|age| age.parse::<u32>().is_ok_and(|a| a > 0))),
        "{cache}"
    );
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    json_of(response, 200).await
}

/// RFC 7638: SHA-256 over the required members in lexicographic order.
fn thumbprint(key: &Value) -> String {
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        key["e"].as_str().unwrap(),
        key["n"].as_str().unwrap()
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[tokio::test]
async fn the_key_set_publishes_the_signing_key_and_no_private_member() {
    let app = TestApp::spawn().await;
    let set = jwks(&app).await;
    let keys = set["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{set}");
    for key in keys {
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["e"], "AQAB");
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256, "a 2048-bit modulus");
        assert_eq!(
            key["kid"],
            thumbprint(key),
            "kid is the RFC 7638 thumbprint"
        );
        for member in PRIVATE_MEMBERS {
            assert!(key.get(member).is_none(), "{member} in {key}");
        }
    }
    assert_eq!(set.as_object().unwrap().len(), 1, "{set}");
    // Anyone may read it; a token changes nothing.
    let response = app.get("/.well-known/jwks.json", Some("garbage")).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn tokens_name_a_published_key_that_verifies_them() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let set = jwks(&app).await;
    let (header, _) = jwt_parts(&token);
    let key = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("kid {} is not in {set}", header["kid"]));
    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["todo-api"]);
    validation.set_issuer(&["todo-api"]);
    let verified = decode::<Value>(&token, &decoding, &validation).expect("the JWKS key verifies");
    assert!(verified.claims["sid"].is_i64() || verified.claims["sid"].is_string());
}

#[tokio::test]
async fn after_a_rotation_old_tokens_still_verify_and_both_keys_are_published() {
    let dir = tempfile::tempdir().unwrap();
    let paths = auth::keys::write_keypair(dir.path(), 2048, false).unwrap();
    let private = paths.private_key.display().to_string();
    let public = paths.public_key.display().to_string();
    let retired = dir.path().join("retired").display().to_string();
    let keys = [
        ("JWT_PRIVATE_KEY_PATH", private.as_str()),
        ("JWT_PUBLIC_KEY_PATH", public.as_str()),
        ("JWT_VERIFY_KEYS_DIR", retired.as_str()),
    ];
    let before = TestApp::spawn_with(&keys).await;
    before.register("alice").await;
    let (old_access, old_refresh) = before.pair_for("alice").await;
    let old_kid = jwt_parts(&old_access).0["kid"].clone();

    auth::keys::rotate_keypair(dir.path(), 2048).unwrap();
    let after = before.spawn_beside(&keys).await;
    let set = jwks(&after).await;
    let kids: Vec<&Value> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kid"])
        .collect();
    assert_eq!(kids.len(), 2, "{set}");
    assert_eq!(
        kids[1], &old_kid,
        "the retired key is published after the active one"
    );
    for key in set["keys"].as_array().unwrap() {
        assert_eq!(key["kid"], thumbprint(key));
        for member in PRIVATE_MEMBERS {
            assert!(key.get(member).is_none(), "{member} in {key}");
        }
    }
    // Tokens signed before the rotation still work; new ones use the new key.
    json_of(after.get("/v1/auth/me", Some(&old_access)).await, 200).await;
    let new_access = after.token_for("alice").await;
    assert_eq!(&jwt_parts(&new_access).0["kid"], kids[0]);
    assert_ne!(kids[0], &old_kid);
    json_of(after.get("/v1/auth/me", Some(&new_access)).await, 200).await;
    // Sessions survive the rotation: the refresh token still refreshes.
    let pair = json_of(after.refresh(&old_refresh).await, 200).await;
    assert_eq!(
        &jwt_parts(pair["access_token"].as_str().unwrap()).0["kid"],
        kids[0]
    );
    // The instance still on the old key does not know the new one.
    assert_eq!(
        before.get("/v1/auth/me", Some(&new_access)).await.status(),
        401
    );
}
