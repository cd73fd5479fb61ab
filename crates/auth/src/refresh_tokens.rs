//! Refresh-token material: the domain's `RefreshTokens` port.
//!
//! - A new token is 32 bytes from the operating system's CSPRNG, base64url
//!   without padding: 43 URL-safe characters, 256 bits.
//! - A token's successor and the `jti` of the access token paired with it are
//!   HMAC-SHA256 of the token under a key derived from the signing private
//!   key (with distinct labels), so every instance sharing the signing key
//!   derives the same values with no extra secret to distribute, and nobody
//!   without the key can predict them. A successor has the same shape as a
//!   fresh token.
//! - The stored hash is a plain SHA-256 (hex): the tokens carry 256 random
//!   bits, so no key or slow hash is needed, and stored hashes survive a key
//!   rotation.
//!
//! Rotating the signing key changes the derivation key, hence successors: a
//! refresh replayed within the grace window across a rotation answers a
//! successor the store never saw, and that token then fails safe with 401
//! (the client logs in again).

use std::fmt;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ports::RefreshTokens;
use domain::{RefreshToken, RefreshTokenHash};
use hmac::Mac;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::derived_keys::{HmacSha256, derived_mac};
use crate::keys::PrivateKey;

/// The HMAC key is HMAC-SHA256 under this label of the private key's PKCS#8
/// DER: a fresh, single-purpose key, never the RSA key itself.
const KEY_DERIVATION_LABEL: &[u8] = b"todo-api refresh-token derivation key v1";
const SUCCESSOR_LABEL: &[u8] = b"refresh-successor:";
const TOKEN_ID_LABEL: &[u8] = b"access-jti:";

/// Random bytes in a new refresh token.
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// Makes, derives and hashes refresh tokens. Cheap to clone. `Debug` never
/// shows the key.
#[derive(Clone)]
pub struct HmacRefreshTokens {
    /// Keyed once: holds the HMAC's inner and outer states, from which each
    /// derivation is a clone, so no derivation can fail.
    mac: HmacSha256,
}

impl HmacRefreshTokens {
    /// Derives the HMAC key from `private`, the key that signs access tokens.
    ///
    /// # Errors
    /// When the private key cannot be encoded as PKCS#8 (it always can once
    /// loaded).
    pub fn from_private_key(private: &PrivateKey) -> anyhow::Result<Self> {
        let mac = derived_mac(private, KEY_DERIVATION_LABEL)
            .context("deriving the refresh-token key failed")?;
        Ok(Self { mac })
    }

    fn derive(&self, label: &[u8], token: &RefreshToken) -> String {
        let mut mac = self.mac.clone();
        mac.update(label);
        mac.update(token.expose().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl RefreshTokens for HmacRefreshTokens {
    fn generate(&self) -> RefreshToken {
        RefreshToken::new(random_url_token())
    }

    fn successor(&self, presented: &RefreshToken) -> RefreshToken {
        RefreshToken::new(self.derive(SUCCESSOR_LABEL, presented))
    }

    fn token_id(&self, paired: &RefreshToken) -> String {
        self.derive(TOKEN_ID_LABEL, paired)
    }

    fn hash(&self, token: &RefreshToken) -> RefreshTokenHash {
        RefreshTokenHash::new(hex(&Sha256::digest(token.expose().as_bytes())))
    }
}

impl fmt::Debug for HmacRefreshTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacRefreshTokens")
            .field("key", &"<redacted>")
            .finish()
    }
}

/// [`REFRESH_TOKEN_BYTES`] bytes from the operating system's CSPRNG,
/// base64url without padding: 43 URL-safe characters, 256 bits.
pub(crate) fn random_url_token() -> String {
    let mut bytes = zeroize::Zeroizing::new([0_u8; REFRESH_TOKEN_BYTES]);
    fill_random(bytes.as_mut());
    URL_SAFE_NO_PAD.encode(bytes.as_ref())
}

/// Fills `bytes` from the operating system's CSPRNG.
pub(crate) fn fill_random(bytes: &mut [u8]) {
    if let Err(err) = rand::rngs::OsRng.try_fill_bytes(bytes) {
        // The ports cannot fail; rather than panic, fall back to the
        // thread's ChaCha CSPRNG, itself seeded from the OS.
        tracing::error!(error = %err, "the OS random generator failed; using the thread CSPRNG");
        rand::thread_rng().fill_bytes(bytes);
    }
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_is_lower_case_and_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }
}
