//! Single-purpose keys derived from the signing private key.
//!
//! Each purpose (refresh-token successors, list cursors, the development
//! fallback of the TOTP-secret sealing key, …) gets its own key:
//! HMAC-SHA256, under the purpose's label, of the private key's PKCS#8 DER.
//! Every instance that shares the signing key derives the same keys, with
//! no extra secret to distribute; rotating the signing key changes them all.

use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::PrivateKey;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The 32-byte key derived from `private` for `label`. Wiped from memory on
/// drop.
///
/// # Errors
/// When the private key cannot be encoded as PKCS#8 (it always can once
/// loaded).
pub(crate) fn derived_key(
    private: &PrivateKey,
    label: &[u8],
) -> anyhow::Result<zeroize::Zeroizing<[u8; 32]>> {
    let der = private
        .to_pkcs8_der()
        .context("encoding the private key to derive a key from it failed")?;
    let mut derive = HmacSha256::new_from_slice(label).context("keying a key derivation failed")?;
    derive.update(der.as_bytes());
    Ok(zeroize::Zeroizing::new(<[u8; 32]>::from(
        derive.finalize().into_bytes(),
    )))
}

/// An HMAC-SHA256 keyed with the key derived from `private` for `label`.
///
/// # Errors
/// When the private key cannot be encoded as PKCS#8 (it always can once
/// loaded).
pub(crate) fn derived_mac(private: &PrivateKey, label: &[u8]) -> anyhow::Result<HmacSha256> {
    let key = derived_key(private, label)?;
    HmacSha256::new_from_slice(key.as_slice()).context("keying a derived HMAC failed")
}
