//! Key generation, writing and loading.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;

use auth::keys::{
    KeyLoadError, load_private_key_pem, load_public_key_pem, parse_private_key_pem,
    parse_public_key_pem,
};
use auth::{JwtSettings, JwtTokenService, KeygenError, generate_keypair, write_keypair};
use common::key_encodings::{
    bits, pem_der, pkcs1_private_pem, pkcs1_public_pem, private_components, public_components,
    public_half_pem, spki_pem,
};
use common::{access_claims, keys, other_keys, private_key_fragments};
use domain::ports::{TokenService, VerifiedAccess};
use domain::{SessionId, UserId};
use pkcs8::PrivateKeyInfo;
use pkcs8::der::pem::LineEnding;
use pkcs8::der::{Decode, Document};
use pkcs8::pkcs5::pbes2;

const PASSWORD: &str = "correct horse battery staple";

/// Our test private key, encrypted the way `openssl pkcs8 -topk8 -v2
/// aes-256-cbc` does it: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
fn encrypted_private_key_pem(password: &str) -> String {
    let der = pem_der(keys().private_key_pem());
    let info = PrivateKeyInfo::try_from(der.as_slice()).unwrap();
    let salt = rand::random::<[u8; 16]>();
    let iv = rand::random::<[u8; 16]>();
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &salt, &iv).unwrap();
    let encrypted = info.encrypt_with_params(params, password).unwrap();
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .unwrap()
        .to_string()
}

fn write(dir: &Path, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

fn service_signs_and_verifies(service: &JwtTokenService) {
    let issued = service
        .issue(&access_claims(9, 3, chrono::Utc::now()))
        .unwrap();
    assert_eq!(
        service.verify(issued.access_token.expose()).unwrap(),
        VerifiedAccess {
            user: UserId(9),
            session: SessionId(3),
        }
    );
}

#[test]
fn generated_pair_is_pkcs8_and_spki_pem() {
    let pair = keys();
    assert!(
        pair.private_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    assert!(
        pair.public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----\n")
    );
    let (n, e) = private_components(pair.private_key_pem());
    assert_eq!(public_components(pair.public_key_pem()), (n.clone(), e));
    assert_eq!(bits(&n), 2048);
}

#[test]
fn generated_keys_sign_and_verify_each_other() {
    let pair = keys();
    let service = JwtTokenService::from_pem(
        pair.private_key_pem().as_bytes(),
        pair.public_key_pem().as_bytes(),
        &[],
        JwtSettings::default(),
    )
    .unwrap();
    service_signs_and_verifies(&service);
}

#[test]
fn generation_refuses_sizes_outside_2048_to_4096_bits() {
    for bits in [0, 512, 1024, 2047, 4097, 8192] {
        let err = generate_keypair(bits).unwrap_err();
        assert!(err.to_string().contains("bits"), "{err}");
    }
}

#[test]
fn generation_refuses_sizes_aws_lc_does_not_make_before_touching_the_disk() {
    let err = generate_keypair(3000).unwrap_err();
    assert!(err.to_string().contains("2048, 3072 or 4096"), "{err}");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("keys");
    match write_keypair(&dir, 3000, false) {
        Err(KeygenError::Generate(_)) => {}
        other => panic!("expected Generate, got {other:?}"),
    }
    assert!(!dir.exists());
}

#[test]
fn key_pair_debug_hides_the_private_key() {
    let shown = format!("{:?} {:#?}", keys(), keys());
    assert!(shown.contains("<redacted>"));
    assert!(!shown.contains("PRIVATE KEY"));
    for fragment in private_key_fragments() {
        assert!(!shown.contains(&fragment));
    }
    let loaded = parse_private_key_pem(keys().private_key_pem().as_bytes(), None, "test").unwrap();
    let shown = format!("{loaded:?}");
    assert!(shown.contains("2048"));
    for fragment in private_key_fragments() {
        assert!(!shown.contains(&fragment));
    }
}

#[test]
fn written_keys_have_owner_only_private_file_and_load_back() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("nested").join("keys");
    let paths = write_keypair(&dir, 2048, false).unwrap();
    assert_eq!(paths.private_key, dir.join("private_key.pem"));
    assert_eq!(paths.public_key, dir.join("public_key.pem"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private_mode = fs::metadata(&paths.private_key)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(private_mode, 0o600);
        let public_mode = fs::metadata(&paths.public_key)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(public_mode & 0o600, 0o600, "{public_mode:o}");
        assert_eq!(public_mode & 0o022, 0, "{public_mode:o}");
    }

    let service = JwtTokenService::from_files(
        &paths.private_key,
        &paths.public_key,
        None,
        None,
        JwtSettings::default(),
    )
    .unwrap();
    service_signs_and_verifies(&service);
    // No temporary files left behind.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
}

#[test]
fn writing_refuses_to_overwrite_existing_keys_without_force() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(temp.path(), "private_key.pem", "old private");
    match write_keypair(temp.path(), 2048, false) {
        Err(KeygenError::AlreadyExists { path }) => assert_eq!(path, private),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(fs::read_to_string(&private).unwrap(), "old private");
    assert!(!temp.path().join("public_key.pem").exists());

    // The public key alone is protected too, and the message names it.
    let other = tempfile::tempdir().unwrap();
    let public = write(other.path(), "public_key.pem", "old public");
    let err = write_keypair(other.path(), 2048, false).unwrap_err();
    assert!(err.to_string().contains("public_key.pem"), "{err}");
    assert_eq!(fs::read_to_string(&public).unwrap(), "old public");
    assert!(!other.path().join("private_key.pem").exists());
}

#[test]
fn writing_with_force_replaces_keys_and_tightens_the_private_mode() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(temp.path(), "private_key.pem", "old private");
    write(temp.path(), "public_key.pem", "old public");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&private, fs::Permissions::from_mode(0o644)).unwrap();
    }

    let paths = write_keypair(temp.path(), 2048, true).unwrap();
    let private_pem = fs::read_to_string(&paths.private_key).unwrap();
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&paths.private_key)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let service = JwtTokenService::from_files(
        &paths.private_key,
        &paths.public_key,
        None,
        None,
        JwtSettings::default(),
    )
    .unwrap();
    service_signs_and_verifies(&service);
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 2);
}

#[test]
fn writing_refuses_too_few_bits_before_touching_the_disk() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("keys");
    match write_keypair(&dir, 1024, false) {
        Err(KeygenError::InvalidBits {
            bits: 1024,
            min: 2048,
            ..
        }) => {}
        other => panic!("expected InvalidBits, got {other:?}"),
    }
    assert!(!dir.exists());
}

#[test]
fn encrypted_private_key_loads_with_the_right_password() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(
        temp.path(),
        "private_key.pem",
        &encrypted_private_key_pem(PASSWORD),
    );
    let public = write(temp.path(), "public_key.pem", keys().public_key_pem());
    assert!(
        fs::read_to_string(&private)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );

    let loaded = load_private_key_pem(&private, Some(PASSWORD)).unwrap();
    assert_eq!(loaded.bits(), 2048);
    let service = JwtTokenService::from_files(
        &private,
        &public,
        Some(PASSWORD),
        None,
        JwtSettings::default(),
    )
    .unwrap();
    service_signs_and_verifies(&service);
}

/// A wrong password now and then decrypts to valid padding and garbage
/// inside (about one in 256): that too is a wrong password, never a
/// "malformed key". A thousand passwords meet that case about four times
/// (all thousand miss it once in fifty runs).
#[test]
fn every_wrong_password_is_a_decrypt_error_even_when_the_padding_happens_to_fit() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(
        temp.path(),
        "private_key.pem",
        &encrypted_private_key_pem(PASSWORD),
    );
    for attempt in 0..1000 {
        let wrong = format!("wrong password {attempt}");
        let err = load_private_key_pem(&private, Some(&wrong)).unwrap_err();
        assert!(
            matches!(err, KeyLoadError::Decrypt { .. }),
            "{wrong}: {err:?}"
        );
    }
}

#[test]
fn encrypted_private_key_with_a_wrong_password_fails_clearly() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(
        temp.path(),
        "private_key.pem",
        &encrypted_private_key_pem(PASSWORD),
    );
    let err = load_private_key_pem(&private, Some("wrong password")).unwrap_err();
    assert!(matches!(err, KeyLoadError::Decrypt { .. }), "{err:?}");
    let message = format!("{err} {err:?}");
    assert!(
        message.contains(&private.display().to_string()),
        "{message}"
    );
    assert!(message.contains("wrong password"), "{message}");
    assert!(!message.contains(PASSWORD) && !message.contains("BEGIN"));
}

#[test]
fn encrypted_private_key_without_a_password_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(
        temp.path(),
        "private_key.pem",
        &encrypted_private_key_pem(PASSWORD),
    );
    let err = load_private_key_pem(&private, None).unwrap_err();
    assert!(
        matches!(err, KeyLoadError::PasswordRequired { .. }),
        "{err:?}"
    );
}

#[test]
fn plain_private_key_given_a_password_is_refused() {
    let err = parse_private_key_pem(keys().private_key_pem().as_bytes(), Some(PASSWORD), "test")
        .unwrap_err();
    assert!(
        matches!(err, KeyLoadError::UnexpectedPassword { .. }),
        "{err:?}"
    );
}

#[test]
fn pkcs1_keys_are_accepted() {
    let private_pkcs1 = pkcs1_private_pem(keys().private_key_pem());
    let public_pkcs1 = pkcs1_public_pem(keys().public_key_pem(), LineEnding::LF);
    assert!(private_pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(public_pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));

    let loaded_private = parse_private_key_pem(private_pkcs1.as_bytes(), None, "pkcs1").unwrap();
    let loaded_public = parse_public_key_pem(public_pkcs1.as_bytes(), "pkcs1").unwrap();
    let service =
        JwtTokenService::from_keys(&loaded_private, &loaded_public, &[], JwtSettings::default())
            .unwrap();
    service_signs_and_verifies(&service);
}

#[test]
fn private_key_whose_numbers_do_not_fit_together_is_refused() {
    // A wrong CRT exponent (d mod p-1) would make every signature faulty,
    // and a faulty RSA-CRT signature gives the key away.
    let der = pem_der(&pkcs1_private_pem(keys().private_key_pem()));
    let key = pkcs1::RsaPrivateKey::from_der(&der).unwrap();
    let mut exponent1 = key.exponent1.as_bytes().to_vec();
    *exponent1.last_mut().unwrap() ^= 2;
    let tampered = pkcs1::RsaPrivateKey {
        exponent1: pkcs1::UintRef::new(&exponent1).unwrap(),
        ..key
    };
    let pem = Document::encode_msg(&tampered)
        .unwrap()
        .to_pem("RSA PRIVATE KEY", LineEnding::LF)
        .unwrap();
    let err = parse_private_key_pem(pem.as_bytes(), None, "tampered").unwrap_err();
    assert!(matches!(err, KeyLoadError::Malformed { .. }), "{err:?}");
}

#[test]
fn legacy_encrypted_pkcs1_key_is_refused_with_advice() {
    let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                  DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n\
                  -----END RSA PRIVATE KEY-----\n";
    let err = parse_private_key_pem(legacy.as_bytes(), Some(PASSWORD), "legacy.pem").unwrap_err();
    assert!(
        matches!(err, KeyLoadError::LegacyEncryption { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("openssl pkcs8 -topk8"));
}

#[test]
fn mismatched_key_files_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let private = write(temp.path(), "private_key.pem", keys().private_key_pem());
    let public = write(temp.path(), "public_key.pem", other_keys().public_key_pem());
    let err = JwtTokenService::from_files(&private, &public, None, None, JwtSettings::default())
        .unwrap_err();
    match err.downcast_ref::<KeyLoadError>() {
        Some(KeyLoadError::Mismatch {
            private: p,
            public: q,
        }) => {
            assert_eq!(p, &private.display().to_string());
            assert_eq!(q, &public.display().to_string());
        }
        other => panic!("expected Mismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("does not belong"));
}

#[test]
fn load_errors_name_the_file() {
    let temp = tempfile::tempdir().unwrap();
    let missing = temp.path().join("missing.pem");
    let err = load_private_key_pem(&missing, None).unwrap_err();
    assert!(matches!(err, KeyLoadError::Read { .. }));
    assert!(err.to_string().contains(&missing.display().to_string()));

    let garbage = write(temp.path(), "garbage.pem", "hello");
    for err in [
        load_private_key_pem(&garbage, None).unwrap_err(),
        load_public_key_pem(&garbage).unwrap_err(),
    ] {
        assert!(matches!(err, KeyLoadError::Malformed { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&garbage.display().to_string()),
            "{err}"
        );
    }

    // The public key where the private key should be, and the reverse.
    let public = write(temp.path(), "public_key.pem", keys().public_key_pem());
    let err = load_private_key_pem(&public, None).unwrap_err();
    assert!(err.to_string().contains("\"PUBLIC KEY\""), "{err}");
    let private = write(temp.path(), "private_key.pem", keys().private_key_pem());
    let err = load_public_key_pem(&private).unwrap_err();
    assert!(err.to_string().contains("\"PRIVATE KEY\""), "{err}");
    assert!(!format!("{err:?}").contains(&private_key_fragments()[1]));

    let binary = temp.path().join("binary.pem");
    fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    assert!(matches!(
        load_private_key_pem(&binary, None),
        Err(KeyLoadError::Malformed { .. })
    ));
}

#[test]
fn keys_smaller_than_2048_bits_are_refused_on_load() {
    // A fixed key: aws-lc generates no key below 2048 bits.
    let private_pem = include_str!("fixtures/weak_1024_bit_private_key.pem");
    let public_pem = public_half_pem(private_pem);
    assert_eq!(bits(&public_components(&public_pem).0), 1024);
    let err = parse_private_key_pem(private_pem.as_bytes(), None, "weak").unwrap_err();
    assert!(
        matches!(err, KeyLoadError::UnsupportedSize { bits: 1024, .. }),
        "{err:?}"
    );
    let err = parse_public_key_pem(public_pem.as_bytes(), "weak").unwrap_err();
    assert!(
        matches!(err, KeyLoadError::UnsupportedSize { bits: 1024, .. }),
        "{err:?}"
    );
}

#[test]
fn public_keys_larger_than_4096_bits_are_refused_on_load() {
    // Only the size is looked at: any odd 8192-bit number will do.
    let public_pem = spki_pem(&[0xff; 1024], &[1, 0, 1]);
    let err = parse_public_key_pem(public_pem.as_bytes(), "huge").unwrap_err();
    assert!(
        matches!(err, KeyLoadError::UnsupportedSize { bits: 8192, .. }),
        "{err:?}"
    );
}
