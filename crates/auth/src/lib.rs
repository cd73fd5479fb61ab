//! Token and password adapters: RS256 access tokens ([`JwtTokenService`],
//! the domain's `TokenService` port) and bcrypt password hashing
//! ([`BcryptHasher`], the `PasswordHasher` port), plus the RSA key material
//! the tokens are signed with ([`keys`]).

pub mod jwt;
pub mod keys;
pub mod password;

pub use jwt::{JwtSettings, JwtTokenService};
pub use keys::{KeyPairPem, KeyPaths, KeygenError, generate_keypair, write_keypair};
pub use password::BcryptHasher;
