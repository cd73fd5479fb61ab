//! Writing a new key pair to a directory: the private key readable by its
//! owner only, never silently replacing keys that are already there.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::generate::generate_keypair;
use super::{MAX_RSA_BITS, MIN_RSA_BITS};

/// The private key's file name inside the key directory.
pub const PRIVATE_KEY_FILE: &str = "private_key.pem";
/// The public key's file name inside the key directory.
pub const PUBLIC_KEY_FILE: &str = "public_key.pem";

pub(super) const PRIVATE_KEY_MODE: u32 = 0o600;
pub(super) const PUBLIC_KEY_MODE: u32 = 0o644;

/// Where [`write_keypair`] or [`super::rotate_keypair`] put the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPaths {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

/// Why [`write_keypair`] or [`super::rotate_keypair`] wrote nothing (or, for
/// [`KeygenError::Write`], not everything).
#[derive(Debug, thiserror::Error)]
pub enum KeygenError {
    #[error("an RSA key must have {min} to {max} bits, {bits} asked")]
    InvalidBits { bits: usize, min: usize, max: usize },
    /// A key file is already there and overwriting was not asked for.
    #[error("{} already exists; refusing to overwrite it without force", path.display())]
    AlreadyExists { path: PathBuf },
    #[error("cannot create the key directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("generating the key pair failed")]
    Generate(#[source] anyhow::Error),
    /// Rotation found no current public key to retire.
    #[error(
        "there is no key pair to rotate: {} does not exist (create one with keygen first)",
        path.display()
    )]
    NothingToRotate { path: PathBuf },
    /// Rotation could not read the current public key it must retire.
    #[error("cannot retire the current public key")]
    CurrentKey(#[source] super::KeyLoadError),
}

/// Generates a key pair of `bits` bits and writes it to `dir` (created when
/// missing) as [`PRIVATE_KEY_FILE`] (mode 0600 on Unix, set when the file is
/// created) and [`PUBLIC_KEY_FILE`] (mode 0644).
///
/// Without `force`, existing files are never touched. With `force`, each file
/// is written beside its target and renamed over it, so a replaced private
/// key gets mode 0600 whatever the old file's mode was.
///
/// # Errors
/// - [`KeygenError::InvalidBits`] when `bits` is outside 2048..=4096;
/// - [`KeygenError::AlreadyExists`] naming the first existing file, without `force`;
/// - [`KeygenError::CreateDir`] / [`KeygenError::Write`] on I/O failures;
/// - [`KeygenError::Generate`] when key generation fails.
pub fn write_keypair(dir: &Path, bits: usize, force: bool) -> Result<KeyPaths, KeygenError> {
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
    if !force {
        // Checked before the slow generation; `create_new` below still
        // guarantees nothing is overwritten if a file appears meanwhile.
        for path in [&paths.private_key, &paths.public_key] {
            if fs::symlink_metadata(path).is_ok() {
                return Err(KeygenError::AlreadyExists { path: path.clone() });
            }
        }
    }

    let pair = generate_keypair(bits).map_err(KeygenError::Generate)?;

    fs::create_dir_all(dir).map_err(|source| KeygenError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    write_key_file(
        &paths.private_key,
        pair.private_key_pem().as_bytes(),
        PRIVATE_KEY_MODE,
        force,
    )?;
    if let Err(err) = write_key_file(
        &paths.public_key,
        pair.public_key_pem().as_bytes(),
        PUBLIC_KEY_MODE,
        force,
    ) {
        if !force {
            // Do not leave a private key without its public half behind.
            let _ = fs::remove_file(&paths.private_key);
        }
        return Err(err);
    }
    Ok(paths)
}

fn write_key_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<(), KeygenError> {
    if force {
        replace_file(path, contents, mode)
    } else {
        create_file(path, contents, mode)
    }
}

/// Creates `path`, failing if anything is already there.
fn create_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), KeygenError> {
    let mut file = open_new(path, mode).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            KeygenError::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            KeygenError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    write_all_synced(&mut file, contents).map_err(|source| {
        let _ = fs::remove_file(path);
        KeygenError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Writes a temporary file beside `path` and renames it over `path`: the
/// file at `path` is the old one or the new one, never a partial one.
pub(super) fn replace_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), KeygenError> {
    let write_error = |source| KeygenError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.{:016x}.tmp", rand::random::<u64>()));
    let result = open_new(&temporary, mode)
        .and_then(|mut file| write_all_synced(&mut file, contents))
        .and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(write_error)
}

fn open_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

fn write_all_synced(file: &mut File, contents: &[u8]) -> io::Result<()> {
    file.write_all(contents)?;
    file.sync_all()
}

/// Makes the renames inside `dir` durable (Unix; elsewhere a no-op).
pub(super) fn sync_dir(dir: &Path) -> Result<(), KeygenError> {
    #[cfg(unix)]
    File::open(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })
    .and_then(|handle| handle.sync_all())
    .map_err(|source| KeygenError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
