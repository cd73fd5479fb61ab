//! Several verification keys: RFC 7638 thumbprints as `kid`, retired keys
//! still accepted, `rotate_keypair`, and the published JWKS.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use auth::keys::{
    KeyLoadError, RETIRED_KEYS_DIR, load_public_key_pem, parse_public_key_pem, retired_key_path,
};
use auth::{JwtSettings, JwtTokenService, KeygenError, rotate_keypair, thumbprint, write_keypair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use common::key_encodings::{pkcs1_public_pem, public_components, spki_pem};
use common::{
    access_claims, assert_invalid_with, expected_access, header_with, keys, kid, kid_of,
    other_keys, our_header, part, service, sign_rs256_with, valid_claims,
};
use domain::ports::TokenService;
use pkcs8::der::pem::LineEnding;
use serde_json::{Value, json};

/// The active pair plus `other_keys()` as a retired key.
fn service_with_retired() -> JwtTokenService {
    JwtTokenService::from_pem(
        keys().private_key_pem().as_bytes(),
        keys().public_key_pem().as_bytes(),
        &[other_keys().public_key_pem().as_bytes().to_vec()],
        JwtSettings::default(),
    )
    .unwrap()
}

fn service_from_dir(dir: &Path) -> JwtTokenService {
    JwtTokenService::from_files(
        &dir.join("private_key.pem"),
        &dir.join("public_key.pem"),
        None,
        Some(&dir.join(RETIRED_KEYS_DIR)),
        JwtSettings::default(),
    )
    .unwrap()
}

/// `(n, e)` of a JWK, as [`public_components`] gives them for a PEM.
fn components_of_jwk(jwk: &Value) -> (Vec<u8>, Vec<u8>) {
    let component = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    (component("n"), component("e"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// --- thumbprints ---------------------------------------------------------------

#[test]
fn thumbprint_matches_the_rfc_7638_example() {
    // RFC 7638 section 3.1.
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let (n, e) = components_of_jwk(&json!({ "n": n, "e": "AQAB" }));
    let pem = spki_pem(&n, &e);
    let public = parse_public_key_pem(pem.as_bytes(), "RFC 7638 example").unwrap();
    assert_eq!(
        thumbprint(&public),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn thumbprint_names_the_key_not_its_encoding() {
    let spki = parse_public_key_pem(keys().public_key_pem().as_bytes(), "spki").unwrap();
    let pkcs1_pem = pkcs1_public_pem(keys().public_key_pem(), LineEnding::CRLF);
    let pkcs1 = parse_public_key_pem(pkcs1_pem.as_bytes(), "pkcs1").unwrap();
    assert_eq!(thumbprint(&spki), thumbprint(&pkcs1));
    assert_eq!(thumbprint(&spki).len(), 43);
    assert_ne!(kid_of(keys()), kid_of(other_keys()));
}

// --- retired keys ----------------------------------------------------------------

#[test]
fn token_signed_by_a_retired_key_still_verifies() {
    let retired_kid = kid_of(other_keys());
    let token = sign_rs256_with(
        other_keys().private_key_pem(),
        &header_with(&json!({ "kid": retired_kid })),
        &valid_claims(),
    );
    let service = service_with_retired();
    assert_eq!(service.verify(&token).unwrap(), expected_access());
    assert_eq!(service.verification_kids(), [kid(), retired_kid]);
    // Without the retired key, the same token is refused.
    assert_invalid_with(&common::service(), &token);
}

#[test]
fn retired_key_signature_under_another_kid_is_invalid() {
    // The kid chooses the key: the retired key's signature under the active
    // kid is checked against the active key, and fails.
    let token = sign_rs256_with(
        other_keys().private_key_pem(),
        &our_header(),
        &valid_claims(),
    );
    assert_invalid_with(&service_with_retired(), &token);
}

#[test]
fn service_with_retired_keys_still_signs_with_the_active_key() {
    let service = service_with_retired();
    let issued = service.issue(&access_claims(42, 7, Utc::now())).unwrap();
    assert_eq!(part(issued.access_token.expose(), 0)["kid"], json!(kid()));
    assert_eq!(
        service.verify(issued.access_token.expose()).unwrap(),
        expected_access()
    );
}

#[test]
fn retired_keys_load_from_a_directory_ignoring_other_files() {
    let temp = tempfile::tempdir().unwrap();
    let retired = temp.path().join("retired");
    fs::create_dir(&retired).unwrap();
    fs::write(
        retired.join(format!("{}.pem", kid_of(other_keys()))),
        other_keys().public_key_pem(),
    )
    .unwrap();
    // The active key again, and a file that is not a key at all.
    fs::write(retired.join("active.pem"), keys().public_key_pem()).unwrap();
    fs::write(retired.join("README.txt"), "retired keys live here").unwrap();
    let private = temp.path().join("private.pem");
    let public = temp.path().join("public.pem");
    fs::write(&private, keys().private_key_pem()).unwrap();
    fs::write(&public, keys().public_key_pem()).unwrap();

    let service = JwtTokenService::from_files(
        &private,
        &public,
        None,
        Some(&retired),
        JwtSettings::default(),
    )
    .unwrap();
    assert_eq!(service.verification_kids(), [kid(), kid_of(other_keys())]);
    let token = sign_rs256_with(
        other_keys().private_key_pem(),
        &header_with(&json!({ "kid": kid_of(other_keys()) })),
        &valid_claims(),
    );
    assert_eq!(service.verify(&token).unwrap(), expected_access());
}

#[test]
fn missing_retired_keys_directory_is_no_retired_keys() {
    let temp = tempfile::tempdir().unwrap();
    let private = temp.path().join("private.pem");
    let public = temp.path().join("public.pem");
    fs::write(&private, keys().private_key_pem()).unwrap();
    fs::write(&public, keys().public_key_pem()).unwrap();
    let service = JwtTokenService::from_files(
        &private,
        &public,
        None,
        Some(&temp.path().join("no-such-dir")),
        JwtSettings::default(),
    )
    .unwrap();
    assert_eq!(service.verification_kids(), [kid()]);
}

#[test]
fn malformed_or_private_retired_key_file_is_an_error_naming_it() {
    let temp = tempfile::tempdir().unwrap();
    let private = temp.path().join("private.pem");
    let public = temp.path().join("public.pem");
    fs::write(&private, keys().private_key_pem()).unwrap();
    fs::write(&public, keys().public_key_pem()).unwrap();
    for (name, contents) in [
        ("garbage.pem", "not a key".to_owned()),
        ("leaked.pem", other_keys().private_key_pem().to_owned()),
    ] {
        let retired = temp.path().join(format!("retired-{name}"));
        fs::create_dir(&retired).unwrap();
        let file = retired.join(name);
        fs::write(&file, contents).unwrap();
        let err = JwtTokenService::from_files(
            &private,
            &public,
            None,
            Some(&retired),
            JwtSettings::default(),
        )
        .unwrap_err();
        let shown = format!("{err:#}");
        assert!(
            shown.contains(&file.display().to_string()),
            "error does not name {}: {shown}",
            file.display()
        );
        assert!(matches!(
            err.downcast_ref::<KeyLoadError>(),
            Some(KeyLoadError::Malformed { .. })
        ));
        for line in other_keys().private_key_pem().lines().skip(1).take(3) {
            assert!(!shown.contains(line), "key material in the error");
        }
    }
}

#[test]
fn retired_keys_that_are_not_pem_text_are_refused_in_memory_too() {
    let err = JwtTokenService::from_pem(
        keys().private_key_pem().as_bytes(),
        keys().public_key_pem().as_bytes(),
        &[b"garbage".to_vec()],
        JwtSettings::default(),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("retired public key #0"),
        "{err:#}"
    );
}

// --- rotation --------------------------------------------------------------------

#[test]
fn after_rotation_the_service_signs_with_a_new_kid_and_verifies_old_tokens() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("keys");
    write_keypair(&dir, 2048, false).unwrap();
    let before = service_from_dir(&dir);
    let old_kid = before.kid().to_owned();
    let old_token = before
        .issue(&access_claims(42, 7, Utc::now()))
        .unwrap()
        .access_token;
    let old_public = fs::read_to_string(dir.join("public_key.pem")).unwrap();

    let paths = rotate_keypair(&dir, 2048).unwrap();
    assert_eq!(paths.private_key, dir.join("private_key.pem"));
    assert_eq!(paths.public_key, dir.join("public_key.pem"));

    let retired_file = retired_key_path(&dir, &old_kid);
    assert_eq!(
        retired_file,
        dir.join("retired").join(format!("{old_kid}.pem"))
    );
    let retired = load_public_key_pem(&retired_file).unwrap();
    assert_eq!(
        (retired.modulus().to_vec(), retired.exponent().to_vec()),
        public_components(&old_public)
    );

    let after = service_from_dir(&dir);
    assert_ne!(after.kid(), old_kid);
    assert_eq!(
        after.verification_kids(),
        [after.kid().to_owned(), old_kid.clone()]
    );
    assert_eq!(after.verify(old_token.expose()).unwrap(), expected_access());
    let new_token = after
        .issue(&access_claims(42, 7, Utc::now()))
        .unwrap()
        .access_token;
    assert_eq!(part(new_token.expose(), 0)["kid"], json!(after.kid()));
    assert_eq!(after.verify(new_token.expose()).unwrap(), expected_access());
    // The service that only knows the old key refuses the new tokens.
    assert_invalid_with(&before, new_token.expose());

    #[cfg(unix)]
    {
        assert_eq!(mode(&paths.private_key), 0o600);
        assert_eq!(mode(&paths.public_key), 0o644);
        assert_eq!(mode(&retired_file), 0o644);
    }
    // No temporary file is left behind.
    for entry in fs::read_dir(&dir)
        .unwrap()
        .chain(fs::read_dir(dir.join("retired")).unwrap())
    {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().ends_with(".tmp"),
            "left behind: {name:?}"
        );
    }
}

#[test]
fn rotating_twice_keeps_both_retired_keys() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    write_keypair(dir, 2048, false).unwrap();
    let first = service_from_dir(dir).kid().to_owned();
    rotate_keypair(dir, 2048).unwrap();
    let second = service_from_dir(dir).kid().to_owned();
    rotate_keypair(dir, 2048).unwrap();
    let third = service_from_dir(dir);
    let mut retired: Vec<String> = third.verification_kids()[1..].to_vec();
    retired.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(retired, expected);
    assert_eq!(third.jwks()["keys"].as_array().unwrap().len(), 3);
}

#[test]
fn rotating_without_a_current_key_is_nothing_to_rotate() {
    let temp = tempfile::tempdir().unwrap();
    let err = rotate_keypair(temp.path(), 2048).unwrap_err();
    assert!(
        matches!(&err, KeygenError::NothingToRotate { path } if path == &temp.path().join("public_key.pem")),
        "{err:?}"
    );
    assert!(err.to_string().contains("public_key.pem"), "{err}");
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 0);
}

#[test]
fn rotating_a_malformed_current_key_changes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    fs::write(dir.join("private_key.pem"), "the old private key").unwrap();
    fs::write(dir.join("public_key.pem"), "not a key").unwrap();
    let err = rotate_keypair(dir, 2048).unwrap_err();
    assert!(
        matches!(
            &err,
            KeygenError::CurrentKey(KeyLoadError::Malformed { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        fs::read_to_string(dir.join("private_key.pem")).unwrap(),
        "the old private key"
    );
    assert!(!dir.join(RETIRED_KEYS_DIR).exists());
}

#[test]
fn rotating_refuses_sizes_outside_2048_to_4096_bits_before_touching_the_disk() {
    let temp = tempfile::tempdir().unwrap();
    for bits in [1024, 4097] {
        assert!(matches!(
            rotate_keypair(temp.path(), bits),
            Err(KeygenError::InvalidBits { .. })
        ));
    }
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 0);
}

// --- JWKS ----------------------------------------------------------------------

#[test]
fn jwks_lists_the_active_then_the_retired_key_with_public_members_only() {
    let jwks = service_with_retired().jwks();
    let keys_json = jwks["keys"].as_array().unwrap();
    assert_eq!(jwks.as_object().unwrap().len(), 1, "{jwks}");
    assert_eq!(keys_json.len(), 2);
    for (jwk, pair) in keys_json.iter().zip([keys(), other_keys()]) {
        let members: BTreeSet<&str> = jwk
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            members,
            BTreeSet::from(["kty", "use", "alg", "kid", "n", "e"]),
            "{jwk}"
        );
        assert_eq!(jwk["kty"], json!("RSA"));
        assert_eq!(jwk["use"], json!("sig"));
        assert_eq!(jwk["alg"], json!("RS256"));
        assert_eq!(jwk["kid"], json!(kid_of(pair)));
        assert_eq!(
            components_of_jwk(jwk),
            public_components(pair.public_key_pem())
        );
        // The kid is the thumbprint of exactly the published n and e.
        let n = jwk["n"].as_str().unwrap();
        let e = jwk["e"].as_str().unwrap();
        assert!(
            !n.contains('=') && !n.starts_with("AA"),
            "unpadded, no leading zero"
        );
        assert_eq!(e, "AQAB");
    }
    let text = jwks.to_string();
    for private_member in ["\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""] {
        assert!(!text.contains(private_member), "{private_member} in {text}");
    }
}

#[test]
fn jwks_without_retired_keys_has_the_active_key_only() {
    let jwks = service().jwks();
    let keys_json = jwks["keys"].as_array().unwrap();
    assert_eq!(keys_json.len(), 1);
    assert_eq!(keys_json[0]["kid"], json!(kid()));
}

#[test]
fn jwks_lists_a_retired_copy_of_the_active_key_once() {
    let service = JwtTokenService::from_pem(
        keys().private_key_pem().as_bytes(),
        keys().public_key_pem().as_bytes(),
        &[
            keys().public_key_pem().as_bytes().to_vec(),
            other_keys().public_key_pem().as_bytes().to_vec(),
            other_keys().public_key_pem().as_bytes().to_vec(),
        ],
        JwtSettings::default(),
    )
    .unwrap();
    assert_eq!(service.jwks()["keys"].as_array().unwrap().len(), 2);
    assert_eq!(service.verification_kids(), [kid(), kid_of(other_keys())]);
}
