//! Token and password adapters: RS256 access tokens ([`JwtTokenService`],
//! the domain's `TokenService` port, with a JWKS of its keys), refresh-token
//! material keyed from the signing key ([`HmacRefreshTokens`], the
//! `RefreshTokens` port), bcrypt password hashing ([`BcryptHasher`], the
//! `PasswordHasher` port), list cursors sealed with a key derived the same
//! way ([`HmacCursorSeal`], the `CursorSeal` port), one-time tokens for reset and
//! verification links ([`RandomOneTimeTokens`], the `OneTimeTokens` port),
//! personal access tokens ([`RandomPersonalTokens`], the
//! `PersonalTokenSecrets` port), the second factor's material (RFC 6238
//! codes, [`RfcTotp`], the `Totp` port; TOTP secrets sealed with
//! AES-256-GCM, [`AesGcmSecretSealer`], the `SecretSealer` port; recovery
//! codes, [`RandomRecoveryCodes`], the `RecoveryCodes` port), plus the RSA
//! key material the tokens are signed with ([`keys`]: generation, loading,
//! rotation, thumbprints).

pub mod cursors;
mod derived_keys;
pub mod jwt;
pub mod keys;
pub mod one_time_tokens;
pub mod password;
pub mod personal_tokens;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod secret_sealer;
pub mod totp;

pub use cursors::HmacCursorSeal;
pub use jwt::{JwtSettings, JwtTokenService};
pub use keys::{
    KeyPairPem, KeyPaths, KeygenError, generate_keypair, rotate_keypair, thumbprint, write_keypair,
};
pub use one_time_tokens::RandomOneTimeTokens;
pub use password::BcryptHasher;
pub use personal_tokens::RandomPersonalTokens;
pub use recovery_codes::RandomRecoveryCodes;
pub use refresh_tokens::HmacRefreshTokens;
pub use secret_sealer::{AesGcmSecretSealer, SealingKeyError, SealingKeys};
pub use totp::RfcTotp;
