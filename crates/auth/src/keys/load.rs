//! Loading RSA keys from PEM: the private key in PKCS#8 (plain or
//! password-protected) or PKCS#1, the public key in SPKI or PKCS#1, and the
//! check that the two belong together.
//!
//! Errors name where the key came from but never contain key bytes or the
//! password.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use pkcs8::der::{Document, SecretDocument};
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncryptedPrivateKeyInfo, pkcs5};
use zeroize::Zeroizing;

use super::encoding::{RsaPrivateParts, RsaPublicParts};
use super::{MAX_RSA_BITS, MIN_RSA_BITS};

/// An RSA private key and where it came from. `Debug` shows only its size
/// and origin.
pub struct PrivateKey {
    key: RsaPrivateParts,
    origin: String,
}

impl PrivateKey {
    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.key.public().bits()
    }

    /// Where the key was read from (a path, or a description for in-memory keys).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.key.public().clone(),
            origin: format!("the public half of {}", self.origin),
        }
    }

    /// PKCS#1 DER, the form the signer wants. Wiped from memory on drop.
    pub(crate) fn pkcs1_der(&self) -> &SecretDocument {
        self.key.pkcs1_der()
    }

    /// PKCS#8 DER: one canonical encoding of the key, whatever form it was
    /// read from, to derive other secrets from. Wiped from memory on drop.
    pub(crate) fn to_pkcs8_der(&self) -> Result<SecretDocument, pkcs8::Error> {
        self.key.to_pkcs8_der()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// An RSA public key and where it came from.
#[derive(Clone)]
pub struct PublicKey {
    key: RsaPublicParts,
    origin: String,
}

impl PublicKey {
    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.key.bits()
    }

    /// Where the key was read from.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The modulus `n`, big-endian without leading zeros (as in a JWK).
    #[must_use]
    pub fn modulus(&self) -> &[u8] {
        self.key.modulus()
    }

    /// The public exponent `e`, big-endian without leading zeros.
    #[must_use]
    pub fn exponent(&self) -> &[u8] {
        self.key.exponent()
    }

    /// PKCS#1 DER, the form the verifier wants.
    pub(crate) fn to_pkcs1_der(&self) -> Result<Document, pkcs1::Error> {
        self.key.to_pkcs1_der()
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), LF line endings.
    pub(crate) fn to_spki_pem(&self) -> Result<String, pkcs8::spki::Error> {
        self.key.to_spki_pem()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be loaded. Each variant names the key's origin.
#[derive(Debug, thiserror::Error)]
pub enum KeyLoadError {
    #[error("cannot read the key file {origin}")]
    Read {
        origin: String,
        #[source]
        source: io::Error,
    },
    /// Not PEM, not the expected PEM label, or not a valid RSA key inside.
    #[error("{origin} is not a usable {expected}: {reason}")]
    Malformed {
        origin: String,
        expected: &'static str,
        reason: String,
    },
    #[error("{origin} is an encrypted private key but no password was given")]
    PasswordRequired { origin: String },
    #[error(
        "{origin} is not encrypted but a password was given; remove the password or encrypt the key"
    )]
    UnexpectedPassword { origin: String },
    #[error("cannot decrypt {origin}: wrong password, or the file is corrupt")]
    Decrypt { origin: String },
    #[error(
        "{origin} uses OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED), which is not \
         supported; convert it to encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
    )]
    LegacyEncryption { origin: String },
    #[error(
        "{origin} holds a {bits}-bit RSA key; {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are accepted"
    )]
    UnsupportedSize { origin: String, bits: usize },
    #[error("the public key {public} does not belong to the private key {private}")]
    Mismatch { private: String, public: String },
}

const PRIVATE_KEY_KINDS: &str = "RSA private key (PEM: PKCS#8 \"PRIVATE KEY\", \
    \"ENCRYPTED PRIVATE KEY\" or PKCS#1 \"RSA PRIVATE KEY\")";
const PUBLIC_KEY_KINDS: &str =
    "RSA public key (PEM: SPKI \"PUBLIC KEY\" or PKCS#1 \"RSA PUBLIC KEY\")";

/// Reads an RSA private key from a PEM file: PKCS#8 (`BEGIN PRIVATE KEY`),
/// encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2, decrypted with
/// `password`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`, unencrypted).
///
/// # Errors
/// [`KeyLoadError::Read`] when the file cannot be read; otherwise as
/// [`parse_private_key_pem`].
pub fn load_private_key_pem(
    path: &Path,
    password: Option<&str>,
) -> Result<PrivateKey, KeyLoadError> {
    let origin = path.display().to_string();
    let pem = read(path, &origin)?;
    parse_private_key_pem(&pem, password, &origin)
}

/// Parses an RSA private key from PEM text; `origin` names it in errors.
///
/// # Errors
/// - [`KeyLoadError::Malformed`] when it is not one of the accepted forms;
/// - [`KeyLoadError::PasswordRequired`] for an encrypted key without password;
/// - [`KeyLoadError::UnexpectedPassword`] for a plain key given a password;
/// - [`KeyLoadError::Decrypt`] when the password is wrong;
/// - [`KeyLoadError::LegacyEncryption`] for OpenSSL's old encrypted PKCS#1;
/// - [`KeyLoadError::UnsupportedSize`] outside 2048..=4096 bits.
pub fn parse_private_key_pem(
    pem: &[u8],
    password: Option<&str>,
    origin: &str,
) -> Result<PrivateKey, KeyLoadError> {
    let malformed = |reason: String| KeyLoadError::Malformed {
        origin: origin.to_owned(),
        expected: PRIVATE_KEY_KINDS,
        reason,
    };
    let text = std::str::from_utf8(pem).map_err(|_| malformed("not PEM text".to_owned()))?;
    let key = match pem_label(text) {
        Some("PRIVATE KEY") => {
            refuse_password(password, origin)?;
            RsaPrivateParts::from_pkcs8_pem(text).map_err(|err| malformed(err.to_string()))?
        }
        Some("ENCRYPTED PRIVATE KEY") => {
            let password = password.ok_or_else(|| KeyLoadError::PasswordRequired {
                origin: origin.to_owned(),
            })?;
            decrypt_pkcs8(text, password, origin)?
        }
        Some("RSA PRIVATE KEY") => {
            if text.contains("Proc-Type: 4,ENCRYPTED") {
                return Err(KeyLoadError::LegacyEncryption {
                    origin: origin.to_owned(),
                });
            }
            refuse_password(password, origin)?;
            RsaPrivateParts::from_pkcs1_pem(text).map_err(|err| malformed(err.to_string()))?
        }
        Some(other) => return Err(malformed(format!("found a \"{other}\" PEM block"))),
        None => return Err(malformed("no PEM block found".to_owned())),
    };
    check_size(key.public().bits(), origin)?;
    Ok(PrivateKey {
        key,
        origin: origin.to_owned(),
    })
}

/// Reads an RSA public key from a PEM file: SPKI (`BEGIN PUBLIC KEY`) or
/// PKCS#1 (`BEGIN RSA PUBLIC KEY`).
///
/// # Errors
/// [`KeyLoadError::Read`] when the file cannot be read; otherwise as
/// [`parse_public_key_pem`].
pub fn load_public_key_pem(path: &Path) -> Result<PublicKey, KeyLoadError> {
    let origin = path.display().to_string();
    let pem = read(path, &origin)?;
    parse_public_key_pem(&pem, &origin)
}

/// Parses an RSA public key from PEM text; `origin` names it in errors.
///
/// # Errors
/// [`KeyLoadError::Malformed`] when it is not one of the accepted forms,
/// [`KeyLoadError::UnsupportedSize`] outside 2048..=4096 bits.
pub fn parse_public_key_pem(pem: &[u8], origin: &str) -> Result<PublicKey, KeyLoadError> {
    let malformed = |reason: String| KeyLoadError::Malformed {
        origin: origin.to_owned(),
        expected: PUBLIC_KEY_KINDS,
        reason,
    };
    let text = std::str::from_utf8(pem).map_err(|_| malformed("not PEM text".to_owned()))?;
    let key = match pem_label(text) {
        Some("PUBLIC KEY") => {
            RsaPublicParts::from_public_key_pem(text).map_err(|err| malformed(err.to_string()))?
        }
        Some("RSA PUBLIC KEY") => {
            RsaPublicParts::from_pkcs1_pem(text).map_err(|err| malformed(err.to_string()))?
        }
        Some(other) => return Err(malformed(format!("found a \"{other}\" PEM block"))),
        None => return Err(malformed("no PEM block found".to_owned())),
    };
    check_size(key.bits(), origin)?;
    Ok(PublicKey {
        key,
        origin: origin.to_owned(),
    })
}

/// Refuses a public key that is not the private key's own: tokens signed
/// with one could never be verified with the other.
///
/// # Errors
/// [`KeyLoadError::Mismatch`] naming both origins.
pub fn ensure_pair_matches(private: &PrivateKey, public: &PublicKey) -> Result<(), KeyLoadError> {
    if private.key.public() == &public.key {
        Ok(())
    } else {
        Err(KeyLoadError::Mismatch {
            private: private.origin.clone(),
            public: public.origin.clone(),
        })
    }
}

fn read(path: &Path, origin: &str) -> Result<Zeroizing<Vec<u8>>, KeyLoadError> {
    fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| KeyLoadError::Read {
            origin: origin.to_owned(),
            source,
        })
}

/// The label of the first `-----BEGIN <label>-----` line.
fn pem_label(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
}

fn refuse_password(password: Option<&str>, origin: &str) -> Result<(), KeyLoadError> {
    match password {
        Some(_) => Err(KeyLoadError::UnexpectedPassword {
            origin: origin.to_owned(),
        }),
        None => Ok(()),
    }
}

fn decrypt_pkcs8(
    text: &str,
    password: &str,
    origin: &str,
) -> Result<RsaPrivateParts, KeyLoadError> {
    let malformed = |reason: String| KeyLoadError::Malformed {
        origin: origin.to_owned(),
        expected: PRIVATE_KEY_KINDS,
        reason,
    };
    let decrypt_failed = || KeyLoadError::Decrypt {
        origin: origin.to_owned(),
    };
    let (_, document) = Document::from_pem(text).map_err(|err| malformed(err.to_string()))?;
    let encrypted = EncryptedPrivateKeyInfo::try_from(document.as_bytes())
        .map_err(|err| malformed(err.to_string()))?;
    let decrypted = encrypted.decrypt(password).map_err(|err| match err {
        // pkcs5 0.7 reports a bad padding (the usual sign of a wrong
        // password) as `EncryptFailed`, so both mean "cannot decrypt".
        pkcs8::Error::EncryptedPrivateKey(
            pkcs5::Error::DecryptFailed | pkcs5::Error::EncryptFailed,
        ) => decrypt_failed(),
        // About one wrong password in 256 still yields valid padding; the
        // plaintext is then garbage that is not DER. The envelope itself
        // was parsed above, so this too means "cannot decrypt".
        pkcs8::Error::Asn1(_) | pkcs8::Error::KeyMalformed => decrypt_failed(),
        // Unsupported scheme (PBES1, DES without the feature, ...): say so.
        other => malformed(other.to_string()),
    })?;
    // A wrong password occasionally yields valid padding; the DER inside is
    // then garbage, which is still a wrong password as far as anyone can tell.
    RsaPrivateParts::from_pkcs8_der(decrypted.as_bytes()).map_err(|_| decrypt_failed())
}

fn check_size(bits: usize, origin: &str) -> Result<(), KeyLoadError> {
    if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(KeyLoadError::UnsupportedSize {
            origin: origin.to_owned(),
            bits,
        })
    }
}
