//! Key rotation: a new signing key takes over, and the old public key stays
//! behind in [`RETIRED_KEYS_DIR`] so tokens it signed still verify until they
//! expire.
//!
//! The server verifies with every `*.pem` in `JWT_VERIFY_KEYS_DIR` (default
//! `keys/retired`, the directory this writes to when the keys live in
//! `keys/`) besides the active key, and publishes them all in its JWKS. Once
//! every token a retired key signed has expired (the access-token lifetime
//! after the rotation, plus the leeway), the operator deletes its file and
//! restarts the servers; until then, keep it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::generate::generate_keypair;
use super::write::{
    KeyPaths, KeygenError, PRIVATE_KEY_FILE, PRIVATE_KEY_MODE, PUBLIC_KEY_FILE, PUBLIC_KEY_MODE,
    replace_file, sync_dir,
};
use super::{KeyLoadError, MAX_RSA_BITS, MIN_RSA_BITS, parse_public_key_pem, thumbprint};

/// The retired public keys' directory, inside the key directory.
pub const RETIRED_KEYS_DIR: &str = "retired";

/// Where [`rotate_keypair`] keeps a retired public key: `<dir>/retired/<kid>.pem`.
#[must_use]
pub fn retired_key_path(dir: &Path, kid: &str) -> PathBuf {
    dir.join(RETIRED_KEYS_DIR).join(format!("{kid}.pem"))
}

/// Replaces the key pair in `dir` with a new one of `bits` bits, keeping the
/// current public key as `dir/retired/<kid>.pem` (`kid` = its
/// [`thumbprint`]), written in SPKI form.
///
/// Order matters for a crash: the new pair is generated before the disk is
/// touched; the old public key is safely retired before anything is
/// replaced; each key file is written beside its target and renamed over it.
/// So `private_key.pem` always exists and is whole. A crash between the two
/// renames leaves a private key that does not match `public_key.pem`, which
/// the server refuses at start-up; running the rotation again repairs it
/// (nothing was ever signed with the half-installed key).
///
/// # Errors
/// - [`KeygenError::InvalidBits`] when `bits` is outside 2048..=4096;
/// - [`KeygenError::NothingToRotate`] when `dir/public_key.pem` does not exist;
/// - [`KeygenError::CurrentKey`] when it cannot be read or is not a public key;
/// - [`KeygenError::Generate`] when key generation fails;
/// - [`KeygenError::CreateDir`] / [`KeygenError::Write`] on I/O failures.
pub fn rotate_keypair(dir: &Path, bits: usize) -> Result<KeyPaths, KeygenError> {
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(KeygenError::InvalidBits {
            bits,
            min: MIN_RSA_BITS,
            max: MAX_RSA_BITS,
        });
    }
    let paths = KeyPaths {
        private_key: dir.join(PRIVATE_KEY_FILE),
        public_key: dir.join(PUBLIC_KEY_FILE),
    };
    let origin = paths.public_key.display().to_string();
    let current_pem = match fs::read(&paths.public_key) {
        Ok(pem) => pem,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(KeygenError::NothingToRotate {
                path: paths.public_key,
            });
        }
        Err(source) => {
            return Err(KeygenError::CurrentKey(KeyLoadError::Read {
                origin,
                source,
            }));
        }
    };
    let current = parse_public_key_pem(&current_pem, &origin).map_err(KeygenError::CurrentKey)?;
    // Re-encoded rather than copied: whatever else the old file held (a
    // private key pasted below, say) never reaches the world-readable copy.
    let retired_pem = current.to_spki_pem().map_err(|err| {
        KeygenError::CurrentKey(KeyLoadError::Malformed {
            origin: origin.clone(),
            expected: "RSA public key",
            reason: err.to_string(),
        })
    })?;

    let pair = generate_keypair(bits).map_err(KeygenError::Generate)?;

    let retired_dir = dir.join(RETIRED_KEYS_DIR);
    fs::create_dir_all(&retired_dir).map_err(|source| KeygenError::CreateDir {
        path: retired_dir.clone(),
        source,
    })?;
    replace_file(
        &retired_key_path(dir, &thumbprint(&current)),
        retired_pem.as_bytes(),
        PUBLIC_KEY_MODE,
    )?;
    sync_dir(&retired_dir)?;

    replace_file(
        &paths.private_key,
        pair.private_key_pem().as_bytes(),
        PRIVATE_KEY_MODE,
    )?;
    replace_file(
        &paths.public_key,
        pair.public_key_pem().as_bytes(),
        PUBLIC_KEY_MODE,
    )?;
    sync_dir(dir)?;
    Ok(paths)
}
