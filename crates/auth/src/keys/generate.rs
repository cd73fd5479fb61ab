//! Generating a fresh RSA key pair as PEM text.

use std::fmt;

use anyhow::{Context, bail};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use pkcs8::DecodePrivateKey;
use zeroize::Zeroizing;

use super::encoding::RsaPrivateParts;
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

/// Generates an RSA key pair of `bits` bits (2048, 3072 or 4096: the sizes
/// aws-lc generates) with aws-lc's random number generator, seeded by the
/// operating system. Takes from a fraction of a second (2048 bits) to a few
/// seconds (4096 bits).
///
/// # Errors
/// When `bits` is outside [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`] or not one of
/// the three sizes, or when generation or encoding fails.
pub fn generate_keypair(bits: usize) -> anyhow::Result<KeyPairPem> {
    if bits < MIN_RSA_BITS {
        bail!("an RSA key must have at least {MIN_RSA_BITS} bits, {bits} asked");
    }
    if bits > MAX_RSA_BITS {
        bail!("an RSA key may have at most {MAX_RSA_BITS} bits, {bits} asked");
    }
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        // Keys of other sizes in range load; only making them is not offered.
        _ => bail!("aws-lc generates RSA keys of 2048, 3072 or 4096 bits, {bits} asked"),
    };
    let pair = KeyPair::generate(size).context("generating the RSA private key failed")?;
    let der = pair
        .as_der()
        .context("encoding the private key as PKCS#8 failed")?;
    // Read back as the loader reads keys, so that what is written is the
    // loader's canonical form and is sure to load.
    let private = RsaPrivateParts::from_pkcs8_der(der.as_ref())
        .context("reading the generated private key back failed")?;
    let private_key_pem = private
        .to_pkcs8_pem()
        .context("encoding the private key as PKCS#8 PEM failed")?;
    let public_key_pem = private
        .public()
        .to_spki_pem()
        .context("encoding the public key as SPKI PEM failed")?;
    Ok(KeyPairPem {
        private_key_pem,
        public_key_pem,
    })
}
