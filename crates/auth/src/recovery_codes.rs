//! Recovery codes: the domain's `RecoveryCodes` port.
//!
//! A code is 16 characters of Crockford's base32 alphabet in lower case
//! (`0-9 a-z` without `i`, `l`, `o`, `u`), each from 5 random bits of the
//! operating system's CSPRNG: 80 bits, shown as `xxxx-xxxx-xxxx-xxxx`.
//!
//! What the user types back is read as Crockford reads it: case, spaces
//! and dashes do not matter, and `i`/`l` stand for `1`, `o` for `0`. The
//! store keeps the plain SHA-256 (hex) of the 16 canonical characters: 80
//! random bits cannot be found from their hash by guessing, so no key or
//! slow hash is needed (and the hashes survive any key rotation).

use domain::ports::RecoveryCodes;
use domain::{RecoveryCode, RecoveryCodeHash};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::refresh_tokens::{fill_random, hex};

/// Codes in a set.
pub const CODES_PER_SET: usize = 10;
/// Characters in a code (dashes aside).
const CODE_CHARS: usize = 16;
/// Characters between two dashes.
const GROUP_CHARS: usize = 4;
/// Crockford's base32 alphabet, lower case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Random recovery codes, hashed with SHA-256.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomRecoveryCodes;

/// A new code, dashes included.
fn random_code() -> RecoveryCode {
    let mut bytes = Zeroizing::new([0_u8; CODE_CHARS]);
    fill_random(bytes.as_mut());
    let mut code = String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP_CHARS);
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 && index % GROUP_CHARS == 0 {
            code.push('-');
        }
        // 256 is a multiple of 32: the low 5 bits are uniform.
        code.push(char::from(ALPHABET[usize::from(byte & 0x1f)]));
    }
    RecoveryCode::new(code)
}

/// The 16 canonical characters of `typed`, if it can be a code.
fn canonical(typed: &str) -> Option<Zeroizing<String>> {
    let mut code = Zeroizing::new(String::with_capacity(CODE_CHARS));
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' | '\t' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c => match u8::try_from(c) {
                Ok(byte) if ALPHABET.contains(&byte) => c,
                _ => return None,
            },
        };
        if code.len() == CODE_CHARS {
            return None;
        }
        code.push(c);
    }
    (code.len() == CODE_CHARS).then_some(code)
}

impl RecoveryCodes for RandomRecoveryCodes {
    fn generate(&self) -> Vec<RecoveryCode> {
        let mut codes: Vec<RecoveryCode> = Vec::with_capacity(CODES_PER_SET);
        while codes.len() < CODES_PER_SET {
            // Two equal codes out of 2^80 will not happen; if they did, the
            // second would be useless (the store keeps each hash once).
            let code = random_code();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        codes
    }

    fn hash(&self, typed: &str) -> Option<RecoveryCodeHash> {
        let code = canonical(typed)?;
        Some(RecoveryCodeHash::new(hex(&Sha256::digest(code.as_bytes()))))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_set_is_ten_distinct_codes_of_four_dashed_groups() {
        let codes = RandomRecoveryCodes.generate();
        assert_eq!(codes.len(), 10);
        let distinct: HashSet<&str> = codes.iter().map(RecoveryCode::expose).collect();
        assert_eq!(distinct.len(), 10);
        for code in &codes {
            let text = code.expose();
            assert_eq!(text.len(), 19, "{text}");
            let groups: Vec<&str> = text.split('-').collect();
            assert_eq!(groups.len(), 4, "{text}");
            for group in groups {
                assert_eq!(group.len(), 4, "{text}");
                assert!(group.bytes().all(|b| ALPHABET.contains(&b)), "{text}");
            }
            assert!(
                !text.contains(['i', 'l', 'o', 'u']),
                "ambiguous character in {text}"
            );
        }
    }

    #[test]
    fn two_sets_share_no_code() {
        let first: HashSet<String> = RandomRecoveryCodes
            .generate()
            .iter()
            .map(|c| c.expose().to_owned())
            .collect();
        let second = RandomRecoveryCodes.generate();
        assert!(second.iter().all(|c| !first.contains(c.expose())));
    }

    #[test]
    fn every_generated_code_hashes() {
        for code in RandomRecoveryCodes.generate() {
            assert!(RandomRecoveryCodes.hash(code.expose()).is_some());
        }
    }

    #[test]
    fn case_spaces_and_dashes_do_not_change_the_hash() {
        let hash = RandomRecoveryCodes.hash("abcd-efgh-jkmn-pq12").unwrap();
        for typed in [
            "ABCD-EFGH-JKMN-PQ12",
            "abcdefghjkmnpq12",
            "abcd efgh jkmn pq12",
            " AbCd-EfGh JKMNpq12 ",
            "abcd--efgh-jkmn-pq12",
            // Crockford's readings of look-alikes.
            "abcd-efgh-jkmn-pqI2",
            "abcd-efgh-jkmn-pqL2",
        ] {
            assert_eq!(
                RandomRecoveryCodes.hash(typed),
                Some(hash.clone()),
                "{typed}"
            );
        }
        assert_ne!(RandomRecoveryCodes.hash("abcd-efgh-jkmn-pq13"), Some(hash));
        // `o` reads as zero.
        assert_eq!(
            RandomRecoveryCodes.hash("0000-0000-0000-0000"),
            RandomRecoveryCodes.hash("oooo-OOOO-0000-0000")
        );
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_canonical_code_in_hex() {
        assert_eq!(
            RandomRecoveryCodes
                .hash("ABCD-EFGH-JKMN-PQ12")
                .unwrap()
                .as_str(),
            hex(&Sha256::digest(b"abcdefghjkmnpq12"))
        );
    }

    #[test]
    fn what_cannot_be_a_code_has_no_hash() {
        for typed in [
            "",
            "abcd-efgh-jkmn-pq1",
            "abcd-efgh-jkmn-pq123",
            "abcd-efgh-jkmn-pqu2",
            "abcd-efgh-jkmn-pq_2",
            "abcd-efgh-jkmn-pqé2",
            "123456",
        ] {
            assert_eq!(RandomRecoveryCodes.hash(typed), None, "{typed}");
        }
    }

    #[test]
    fn debug_shows_no_code() {
        let code = RandomRecoveryCodes.generate().remove(0);
        let hash = RandomRecoveryCodes.hash(code.expose()).unwrap();
        assert!(!format!("{code:?}").contains(code.expose()));
        assert!(!format!("{hash:?}").contains(hash.as_str()));
    }
}
