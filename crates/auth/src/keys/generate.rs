//! Generating a fresh RSA key pair as PEM text.

use std::fmt;

use anyhow::{Context, bail};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use zeroize::Zeroizing;

use super::{MAX_RSA_BITS, MIN_RSA_BITS};

/// A freshly generated key pair: a PKCS#8 private key
/// (`-----BEGIN PRIVATE KEY-----`) and an SPKI public key
/// (`-----BEGIN PUBLIC KEY-----`).
///
/// `Debug` never shows the private key, and its text is wiped from memory
/// when the value is dropped.
pub struct KeyPairPem {
    private_key_pem: Zeroizing<String>,
    public_key_pem: String,
}

impl KeyPairPem {
    /// The private key, PKCS#8 PEM. Handle with care: it is the signing secret.
    #[must_use]
    pub fn private_key_pem(&self) -> &str {
        &self.private_key_pem
    }

    /// The public key, SPKI PEM.
    #[must_use]
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }
}

impl fmt::Debug for KeyPairPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPairPem")
            .field("private_key_pem", &"<redacted>")
            .field("public_key_pem", &self.public_key_pem)
            .finish()
    }
}

/// Generates an RSA key pair of `bits` bits with the operating system's
/// random number generator. Takes from a fraction of a second (2048 bits) to
/// several seconds (4096 bits).
///
/// # Errors
/// When `bits` is outside [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`], or when
/// generation or encoding fails.
pub fn generate_keypair(bits: usize) -> anyhow::Result<KeyPairPem> {
    if bits < MIN_RSA_BITS {
        bail!("an RSA key must have at least {MIN_RSA_BITS} bits, {bits} asked");
    }
    if bits > MAX_RSA_BITS {
        bail!(
            "an RSA key may have at most {MAX_RSA_BITS} bits (the verifier's limit), {bits} asked"
        );
    }
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, bits)
        .context("generating the RSA private key failed")?;
    let private_key_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .context("encoding the private key as PKCS#8 PEM failed")?;
    let public_key_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .context("encoding the public key as SPKI PEM failed")?;
    Ok(KeyPairPem {
        private_key_pem,
        public_key_pem,
    })
}
