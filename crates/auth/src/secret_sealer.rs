//! TOTP secrets encrypted at rest: the domain's `SecretSealer` port.
//!
//! AES-256-GCM (aws-lc-rs) under a key derived with HKDF-SHA256 from the
//! `MFA_ENCRYPTION_KEY` setting, a random 96-bit nonce per seal, and the
//! owner's user id as associated data: a sealed secret copied into another
//! user's row does not open there.
//!
//! The sealed layout (version 1):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, `1` |
//! | 8 | key id: HKDF of the key setting under its own label (names the key, reveals nothing of it) |
//! | 12 | nonce |
//! | n + 16 | ciphertext and GCM tag |
//!
//! The associated data is the version, the key id and the owner's id
//! (8 bytes, big-endian), so neither the header nor the owner can be
//! changed without the seal failing to open.
//!
//! **Rotation.** Set the new key as `MFA_ENCRYPTION_KEY` and the old one in
//! the previous keys: secrets sealed under the old key still open (the key
//! id says which key to use), `needs_reseal` says they should be sealed
//! again under the new one when next used, and the old key can be dropped
//! once no row needs it.
//!
//! Without the setting (development), [`SealingKeys::from_private_key`]
//! derives the key from the signing private key, like the other derived
//! keys; rotating the signing key then makes every enrolled factor
//! unusable, which is why production sets a key of its own.

use std::fmt;

use anyhow::anyhow;
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use domain::ports::{SealError, SecretSealer};
use domain::{SealedSecret, TotpSecret, UserId};
use zeroize::Zeroizing;

use crate::derived_keys::derived_key;
use crate::keys::PrivateKey;

const VERSION: u8 = 1;
const KEY_ID_BYTES: usize = 8;
const HEADER_BYTES: usize = 1 + KEY_ID_BYTES + NONCE_LEN;
const TAG_BYTES: usize = 16;
/// The shortest key setting accepted: 32 bytes of text (`openssl rand
/// -base64 32` makes 44).
pub const MIN_KEY_BYTES: usize = 32;

const HKDF_SALT: &[u8] = b"todo-api mfa-secret sealing v1";
const AES_KEY_INFO: &[u8] = b"aes-256-gcm key";
const KEY_ID_INFO: &[u8] = b"key id";
/// The label of the development fallback's key, derived from the signing
/// key (see [`derived_keys`](crate::derived_keys)).
const PRIVATE_KEY_LABEL: &[u8] = b"todo-api mfa-secret sealing key v1";

/// A key setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SealingKeyError {
    #[error(
        "{name} is {length} bytes long; it must be at least {MIN_KEY_BYTES} bytes of random \
         text: generate one with `openssl rand -base64 32`"
    )]
    TooShort { name: &'static str, length: usize },
    #[error("deriving the TOTP-secret sealing key failed")]
    Derivation(#[source] anyhow::Error),
}

/// One AES-256-GCM key and its id.
struct SealingKey {
    id: [u8; KEY_ID_BYTES],
    aead: RandomizedNonceKey,
}

/// The HKDF output length `len`.
struct Length(usize);

impl KeyType for Length {
    fn len(&self) -> usize {
        self.0
    }
}

impl SealingKey {
    /// The key and id derived from `material` (the setting's bytes, or the
    /// development fallback's derived key).
    fn derive(material: &[u8]) -> anyhow::Result<Self> {
        let prk = Salt::new(HKDF_SHA256, HKDF_SALT).extract(material);
        let mut key = Zeroizing::new([0_u8; 32]);
        prk.expand(&[AES_KEY_INFO], &AES_256_GCM)
            .and_then(|okm| okm.fill(key.as_mut()))
            .map_err(|_| anyhow!("expanding the AES key failed"))?;
        let mut id = [0_u8; KEY_ID_BYTES];
        prk.expand(&[KEY_ID_INFO], Length(KEY_ID_BYTES))
            .and_then(|okm| okm.fill(&mut id))
            .map_err(|_| anyhow!("expanding the key id failed"))?;
        let aead = RandomizedNonceKey::new(&AES_256_GCM, key.as_ref())
            .map_err(|_| anyhow!("keying AES-256-GCM failed"))?;
        Ok(Self { id, aead })
    }
}

/// The sealing keys: the current one, which seals, and the previous ones,
/// which still open. `Debug` shows neither keys nor ids.
pub struct SealingKeys {
    current: SealingKey,
    previous: Vec<SealingKey>,
}

impl SealingKeys {
    /// The keys of the settings: `current` (`MFA_ENCRYPTION_KEY`) and the
    /// keys it replaced, newest first. A previous key equal to the current
    /// one is ignored.
    ///
    /// # Errors
    /// [`SealingKeyError::TooShort`] when a key is under
    /// [`MIN_KEY_BYTES`] bytes (the message says how to make one);
    /// `Derivation` should the key derivation fail.
    pub fn from_settings(current: &str, previous: &[String]) -> Result<Self, SealingKeyError> {
        let current = key_of_setting("MFA_ENCRYPTION_KEY", current)?;
        let mut keys = Vec::with_capacity(previous.len());
        for setting in previous {
            let key = key_of_setting("a previous MFA encryption key", setting)?;
            if key.id != current.id {
                keys.push(key);
            }
        }
        Ok(Self {
            current,
            previous: keys,
        })
    }

    /// The development fallback: one key derived from the signing private
    /// key, no previous keys.
    ///
    /// # Errors
    /// `Derivation` when the private key cannot be encoded to derive from
    /// (it always can once loaded).
    pub fn from_private_key(private: &PrivateKey) -> Result<Self, SealingKeyError> {
        let material =
            derived_key(private, PRIVATE_KEY_LABEL).map_err(SealingKeyError::Derivation)?;
        let current = SealingKey::derive(material.as_ref()).map_err(SealingKeyError::Derivation)?;
        Ok(Self {
            current,
            previous: Vec::new(),
        })
    }

    fn by_id(&self, id: &[u8]) -> Option<&SealingKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == id)
    }
}

fn key_of_setting(name: &'static str, setting: &str) -> Result<SealingKey, SealingKeyError> {
    if setting.len() < MIN_KEY_BYTES {
        return Err(SealingKeyError::TooShort {
            name,
            length: setting.len(),
        });
    }
    SealingKey::derive(setting.as_bytes()).map_err(SealingKeyError::Derivation)
}

impl fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKeys")
            .field("current", &"<redacted>")
            .field("previous", &self.previous.len())
            .finish()
    }
}

/// Seals TOTP secrets with AES-256-GCM under [`SealingKeys`].
#[derive(Debug)]
pub struct AesGcmSecretSealer {
    keys: SealingKeys,
}

impl AesGcmSecretSealer {
    #[must_use]
    pub fn new(keys: SealingKeys) -> Self {
        Self { keys }
    }
}

/// The associated data of a seal: its version and key id, and the owner.
fn associated_data(key_id: &[u8; KEY_ID_BYTES], owner: UserId) -> [u8; 1 + KEY_ID_BYTES + 8] {
    let mut aad = [0_u8; 1 + KEY_ID_BYTES + 8];
    aad[0] = VERSION;
    aad[1..=KEY_ID_BYTES].copy_from_slice(key_id);
    aad[1 + KEY_ID_BYTES..].copy_from_slice(&owner.0.to_be_bytes());
    aad
}

/// The version, key id, nonce and ciphertext of `sealed`, if it has the
/// layout this version makes.
fn split(sealed: &[u8]) -> Option<(&[u8; KEY_ID_BYTES], &[u8; NONCE_LEN], &[u8])> {
    let (version, rest) = sealed.split_first()?;
    if *version != VERSION {
        return None;
    }
    let (key_id, rest) = rest.split_first_chunk::<KEY_ID_BYTES>()?;
    let (nonce, ciphertext) = rest.split_first_chunk::<NONCE_LEN>()?;
    (ciphertext.len() >= TAG_BYTES).then_some((key_id, nonce, ciphertext))
}

impl SecretSealer for AesGcmSecretSealer {
    fn seal(&self, secret: &TotpSecret, owner: UserId) -> Result<SealedSecret, SealError> {
        let key = &self.keys.current;
        let mut ciphertext = Zeroizing::new(Vec::with_capacity(secret.expose().len() + TAG_BYTES));
        ciphertext.extend_from_slice(secret.expose());
        let nonce = key
            .aead
            .seal_in_place_append_tag(Aad::from(associated_data(&key.id, owner)), &mut *ciphertext)
            .map_err(|_| anyhow!("sealing a TOTP secret failed"))?;
        let nonce: &[u8; NONCE_LEN] = nonce.as_ref();
        let mut sealed = Vec::with_capacity(HEADER_BYTES + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&key.id);
        sealed.extend_from_slice(nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(SealedSecret::new(sealed))
    }

    fn open(&self, sealed: &SealedSecret, owner: UserId) -> Result<TotpSecret, SealError> {
        let (key_id, nonce, ciphertext) =
            split(sealed.as_bytes()).ok_or(SealError::Undecryptable)?;
        let key = self.keys.by_id(key_id).ok_or(SealError::Undecryptable)?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let length = key
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(associated_data(key_id, owner)),
                buffer.as_mut_slice(),
            )
            .map_err(|_| SealError::Undecryptable)?
            .len();
        buffer.truncate(length);
        Ok(TotpSecret::new(std::mem::take(&mut *buffer)))
    }

    fn needs_reseal(&self, sealed: &SealedSecret) -> bool {
        split(sealed.as_bytes()).is_some_and(|(key_id, _, _)| {
            *key_id != self.keys.current.id && self.keys.previous.iter().any(|k| k.id == *key_id)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef-current";
    const OLD_KEY: &str = "fedcba9876543210fedcba9876543210-previous";

    fn sealer(current: &str, previous: &[&str]) -> AesGcmSecretSealer {
        let previous: Vec<String> = previous.iter().map(|k| (*k).to_owned()).collect();
        AesGcmSecretSealer::new(SealingKeys::from_settings(current, &previous).unwrap())
    }

    fn secret() -> TotpSecret {
        TotpSecret::new(b"12345678901234567890".to_vec())
    }

    fn undecryptable(result: Result<TotpSecret, SealError>) -> bool {
        matches!(result, Err(SealError::Undecryptable))
    }

    #[test]
    fn a_sealed_secret_opens_for_its_owner() {
        let sealer = sealer(KEY, &[]);
        let sealed = sealer.seal(&secret(), UserId(7)).unwrap();
        assert_eq!(sealed.as_bytes().len(), 1 + 8 + 12 + 20 + 16);
        assert!(
            !sealed
                .as_bytes()
                .windows(20)
                .any(|w| w == secret().expose())
        );
        let opened = sealer.open(&sealed, UserId(7)).unwrap();
        assert_eq!(opened.expose(), secret().expose());
        assert!(!sealer.needs_reseal(&sealed));
    }

    #[test]
    fn every_seal_has_its_own_nonce() {
        let sealer = sealer(KEY, &[]);
        let a = sealer.seal(&secret(), UserId(7)).unwrap();
        let b = sealer.seal(&secret(), UserId(7)).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn another_owner_cannot_open_it() {
        let sealer = sealer(KEY, &[]);
        let sealed = sealer.seal(&secret(), UserId(7)).unwrap();
        assert!(undecryptable(sealer.open(&sealed, UserId(8))));
    }

    #[test]
    fn any_byte_changed_makes_it_undecryptable() {
        let sealer = sealer(KEY, &[]);
        let sealed = sealer.seal(&secret(), UserId(7)).unwrap();
        for index in 0..sealed.as_bytes().len() {
            let mut bytes = sealed.as_bytes().to_vec();
            bytes[index] ^= 0x01;
            assert!(
                undecryptable(sealer.open(&SealedSecret::new(bytes), UserId(7))),
                "byte {index}"
            );
        }
    }

    #[test]
    fn truncated_or_empty_seals_are_undecryptable() {
        let sealer = sealer(KEY, &[]);
        let sealed = sealer.seal(&secret(), UserId(7)).unwrap();
        for length in 0..sealed.as_bytes().len() {
            let bytes = sealed.as_bytes()[..length].to_vec();
            let sealed = SealedSecret::new(bytes);
            assert!(undecryptable(sealer.open(&sealed, UserId(7))), "{length}");
            assert!(!sealer.needs_reseal(&sealed));
        }
    }

    #[test]
    fn another_key_cannot_open_it() {
        let sealed = sealer(KEY, &[]).seal(&secret(), UserId(7)).unwrap();
        assert!(undecryptable(sealer(OLD_KEY, &[]).open(&sealed, UserId(7))));
    }

    #[test]
    fn after_a_rotation_old_seals_open_and_ask_to_be_resealed() {
        let sealed = sealer(OLD_KEY, &[]).seal(&secret(), UserId(7)).unwrap();
        let rotated = sealer(KEY, &[OLD_KEY]);
        assert_eq!(
            rotated.open(&sealed, UserId(7)).unwrap().expose(),
            secret().expose()
        );
        assert!(rotated.needs_reseal(&sealed));
        let resealed = rotated.seal(&secret(), UserId(7)).unwrap();
        assert!(!rotated.needs_reseal(&resealed));
        // Once the old key is retired, the old seal no longer opens; the new one does.
        let retired = sealer(KEY, &[]);
        assert!(undecryptable(retired.open(&sealed, UserId(7))));
        assert!(retired.open(&resealed, UserId(7)).is_ok());
    }

    #[test]
    fn the_same_key_as_previous_is_not_a_rotation() {
        let sealer = sealer(KEY, &[KEY]);
        let sealed = sealer.seal(&secret(), UserId(7)).unwrap();
        assert!(!sealer.needs_reseal(&sealed));
    }

    #[test]
    fn a_short_key_is_refused_with_a_way_to_make_one() {
        let error = SealingKeys::from_settings("too short", &[]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("MFA_ENCRYPTION_KEY"), "{message}");
        assert!(message.contains("at least 32 bytes"), "{message}");
        assert!(message.contains("openssl rand -base64 32"), "{message}");
        assert!(!message.contains("too short"), "the key leaked: {message}");

        let previous = vec!["short".to_owned()];
        let error = SealingKeys::from_settings(KEY, &previous).unwrap_err();
        assert!(matches!(error, SealingKeyError::TooShort { .. }), "{error}");
    }

    #[test]
    fn the_development_fallback_derives_a_working_key_from_the_signing_key() {
        let pair = crate::generate_keypair(2048).unwrap();
        let private =
            crate::keys::parse_private_key_pem(pair.private_key_pem().as_bytes(), None, "test")
                .unwrap();
        let first = AesGcmSecretSealer::new(SealingKeys::from_private_key(&private).unwrap());
        let second = AesGcmSecretSealer::new(SealingKeys::from_private_key(&private).unwrap());
        let sealed = first.seal(&secret(), UserId(1)).unwrap();
        assert_eq!(
            second.open(&sealed, UserId(1)).unwrap().expose(),
            secret().expose()
        );
        assert!(undecryptable(sealer(KEY, &[]).open(&sealed, UserId(1))));
    }

    #[test]
    fn debug_shows_no_key() {
        let shown = format!("{:?}", sealer(KEY, &[OLD_KEY]));
        assert!(!shown.contains("0123456789"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
