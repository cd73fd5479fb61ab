//! RSA key material for signing access tokens: generating a key pair, writing
//! it to disk with safe file modes, rotating it (the old public key is kept
//! for verification, see [`rotate_keypair`]), loading (optionally
//! password-protected) keys back, refusing a public key that does not belong
//! to the private key, and naming keys by their RFC 7638 [`thumbprint`].
//!
//! Keys are RSA with a modulus of [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits.
//! Below 2048 bits RSA is too weak (and aws-lc, which signs, verifies and
//! generates the keys, refuses it). aws-lc's verifier would take up to 8192
//! bits, but 4096 stays the limit: the private-key operation grows with the
//! cube of the size, so an 8192-bit key would make each login's signature
//! about eight times dearer than a 4096-bit one, and verifiers elsewhere
//! (RustCrypto's `rsa`, for one) refuse public keys above 4096 bits.
//!
//! The RSA arithmetic is aws-lc's; the PEM and DER parsing and encoding
//! (`keys/encoding.rs`) is the pure-Rust `pkcs8`/`pkcs1`/`spki` crates, which
//! perform no private-key operation (decrypting a PBES2 key is AES with a
//! PBKDF2 or scrypt key, not RSA).

mod encoding;
mod generate;
mod jwk;
mod load;
mod rotate;
mod write;

pub use generate::{KeyPairPem, generate_keypair};
pub(crate) use jwk::public_jwk;
pub use jwk::thumbprint;
pub use load::{
    KeyLoadError, PrivateKey, PublicKey, ensure_pair_matches, load_private_key_pem,
    load_public_key_pem, parse_private_key_pem, parse_public_key_pem,
};
pub use rotate::{RETIRED_KEYS_DIR, retired_key_path, rotate_keypair};
pub use write::{KeyPaths, KeygenError, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, write_keypair};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (see the module's note).
pub const MAX_RSA_BITS: usize = 4096;
