//! Personal access token material: the domain's `PersonalTokenSecrets`
//! port.
//!
//! A token is `pat_` and 256 bits from the operating system's CSPRNG,
//! base64url (47 characters in all); the store keeps its plain SHA-256
//! (hex), the key of its lookup. No key is needed: 256 random bits cannot
//! be guessed, and a stolen table of hashes cannot be turned back into
//! tokens.

use domain::PersonalTokenHash;
use domain::PersonalTokenSecret;
use domain::ports::PersonalTokenSecrets;
use sha2::{Digest, Sha256};

use crate::refresh_tokens::{hex, random_url_token};

/// Random personal access tokens, hashed with SHA-256.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomPersonalTokens;

impl PersonalTokenSecrets for RandomPersonalTokens {
    fn generate(&self) -> PersonalTokenSecret {
        PersonalTokenSecret::new(format!(
            "{}{}",
            PersonalTokenSecret::PREFIX,
            random_url_token()
        ))
    }

    fn hash(&self, secret: &str) -> PersonalTokenHash {
        PersonalTokenHash::new(hex(&Sha256::digest(secret.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_pat_and_43_url_safe_characters_and_never_repeat() {
        let tokens = RandomPersonalTokens;
        let a = tokens.generate();
        let b = tokens.generate();
        assert_ne!(a, b);
        for token in [&a, &b] {
            let random = token.expose().strip_prefix("pat_").expect("the prefix");
            assert_eq!(random.len(), 43, "256 bits");
            assert!(
                random
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{random}"
            );
        }
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_whole_token_in_hex() {
        assert_eq!(
            RandomPersonalTokens.hash("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = RandomPersonalTokens.generate();
        assert_eq!(
            RandomPersonalTokens.hash(token.expose()),
            RandomPersonalTokens.hash(token.expose())
        );
    }
}
