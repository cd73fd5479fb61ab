//! RSA key material for signing access tokens: generating a key pair, writing
//! it to disk with safe file modes, rotating it (the old public key is kept
//! for verification, see [`rotate_keypair`]), loading (optionally
//! password-protected) keys back, refusing a public key that does not belong
//! to the private key, and naming keys by their RFC 7638 [`thumbprint`].
//!
//! Keys are RSA with a modulus of [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits:
//! below 2048 bits RSA is too weak, and above 4096 bits the verifier used by
//! `jsonwebtoken` (RustCrypto's `rsa`) refuses the public key.

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
/// The largest RSA modulus accepted, in bits (the verifier's limit).
pub const MAX_RSA_BITS: usize = 4096;
