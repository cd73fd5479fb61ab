//! One-time token material for reset and verification links: the domain's
//! `OneTimeTokens` port.
//!
//! A token is 256 bits from the operating system's CSPRNG, base64url (the
//! same shape as a refresh token); the store keeps its plain SHA-256 (hex).
//! No key is needed: with 256 random bits a token cannot be guessed, and a
//! stolen table of hashes cannot be turned back into links.

use domain::ports::OneTimeTokens;
use domain::{AccountToken, AccountTokenHash};
use sha2::{Digest, Sha256};

use crate::refresh_tokens::{hex, random_url_token};

/// Random one-time tokens, hashed with SHA-256.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomOneTimeTokens;

impl OneTimeTokens for RandomOneTimeTokens {
    fn generate(&self) -> AccountToken {
        AccountToken::new(random_url_token())
    }

    fn hash(&self, token: &AccountToken) -> AccountTokenHash {
        AccountTokenHash::new(hex(&Sha256::digest(token.expose().as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_never_repeat() {
        let tokens = RandomOneTimeTokens;
        let a = tokens.generate();
        let b = tokens.generate();
        assert_ne!(a, b);
        for token in [&a, &b] {
            assert_eq!(token.expose().len(), 43);
            assert!(
                token
                    .expose()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{}",
                token.expose()
            );
        }
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_token_in_hex() {
        let token = AccountToken::new("abc".to_owned());
        assert_eq!(
            RandomOneTimeTokens.hash(&token).as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
