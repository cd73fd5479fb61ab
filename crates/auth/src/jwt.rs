//! RS256 access tokens: the [`TokenService`] port implemented with
//! `jsonwebtoken`.
//!
//! A token is `{"alg":"RS256","typ":"JWT"}` over the claims `sub` (the user id
//! as a decimal string), `iat`, `nbf` (= `iat`) and `exp` (= `iat` + lifetime),
//! all in seconds since the epoch. Verification trusts nothing in the token
//! before its signature is checked with the configured public key, and every
//! way a client can get a token wrong ends in [`TokenError::Invalid`].

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use domain::UserId;
use domain::ports::{AccessToken, IssuedToken, TokenError, TokenService};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::keys::{
    PrivateKey, PublicKey, ensure_pair_matches, load_private_key_pem, load_public_key_pem,
    parse_private_key_pem, parse_public_key_pem,
};

/// Tokens longer than this are refused unread. Ours are about 550 bytes with
/// a 2048-bit key and 850 bytes with a 4096-bit key.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// The largest accepted clock-skew allowance: beyond this a clock is broken,
/// not skewed.
pub const MAX_LEEWAY_SECONDS: u64 = 300;
/// The longest accepted access-token lifetime.
pub const MAX_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 24 * 60 * 60);

const ALGORITHM: Algorithm = Algorithm::RS256;

/// Token lifetimes and tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwtSettings {
    /// How long an access token is valid; whole seconds count. Default 24 h.
    pub access_token_lifetime: Duration,
    /// Clock-skew allowance applied to `exp`, `nbf` and `iat`. Default 0.
    pub leeway_seconds: u64,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(24 * 60 * 60),
            leeway_seconds: 0,
        }
    }
}

/// Issues and verifies RS256 access tokens. The keys are parsed once, when
/// the service is built. `Debug` shows no key material.
pub struct JwtTokenService {
    header: Header,
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    validation: Validation,
    lifetime_seconds: u64,
    leeway_seconds: u64,
}

/// What we sign.
#[derive(Serialize)]
struct IssuedClaims {
    sub: String,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// What we read back after the signature, `exp` and `nbf` were checked by
/// `jsonwebtoken`. `iat` is not optional: a token without it fails to
/// deserialize (`jsonwebtoken` itself cannot require `iat`).
#[derive(Deserialize)]
struct ReceivedClaims {
    sub: String,
    iat: u64,
}

impl JwtTokenService {
    /// Loads the key pair from PEM files (see [`crate::keys`] for the accepted
    /// forms); `private_key_password` decrypts an encrypted PKCS#8 key.
    ///
    /// # Errors
    /// When a key cannot be read or parsed (a [`crate::keys::KeyLoadError`]
    /// naming the file), when the public key does not belong to the private
    /// key ([`crate::keys::KeyLoadError::Mismatch`]), or when the settings
    /// are out of range.
    pub fn from_files(
        private_key_path: &Path,
        public_key_path: &Path,
        private_key_password: Option<&str>,
        settings: JwtSettings,
    ) -> anyhow::Result<Self> {
        let private = load_private_key_pem(private_key_path, private_key_password)?;
        let public = load_public_key_pem(public_key_path)?;
        Self::from_keys(&private, &public, settings)
    }

    /// Builds the service from an unencrypted private key PEM and its public
    /// key PEM held in memory.
    ///
    /// # Errors
    /// As [`JwtTokenService::from_files`], without the file errors.
    pub fn from_pem(
        private_pem: &[u8],
        public_pem: &[u8],
        settings: JwtSettings,
    ) -> anyhow::Result<Self> {
        let private = parse_private_key_pem(private_pem, None, "the in-memory private key")?;
        let public = parse_public_key_pem(public_pem, "the in-memory public key")?;
        Self::from_keys(&private, &public, settings)
    }

    /// Builds the service from already loaded keys.
    ///
    /// # Errors
    /// [`crate::keys::KeyLoadError::Mismatch`] when the keys do not belong
    /// together; an error when the settings are out of range or a key cannot
    /// be re-encoded for the signer.
    pub fn from_keys(
        private: &PrivateKey,
        public: &PublicKey,
        settings: JwtSettings,
    ) -> anyhow::Result<Self> {
        let lifetime_seconds = settings.access_token_lifetime.as_secs();
        if lifetime_seconds == 0 {
            bail!("the access token lifetime must be at least one second");
        }
        if settings.access_token_lifetime > MAX_ACCESS_TOKEN_LIFETIME {
            bail!(
                "the access token lifetime may be at most {} seconds, {lifetime_seconds} asked",
                MAX_ACCESS_TOKEN_LIFETIME.as_secs()
            );
        }
        if settings.leeway_seconds > MAX_LEEWAY_SECONDS {
            bail!(
                "the token leeway may be at most {MAX_LEEWAY_SECONDS} seconds, {} asked",
                settings.leeway_seconds
            );
        }
        ensure_pair_matches(private, public)?;

        let private_der = private
            .to_pkcs1_der()
            .context("re-encoding the private key for the signer failed")?;
        let public_der = public
            .to_pkcs1_der()
            .context("re-encoding the public key for the verifier failed")?;

        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        // jsonwebtoken ignores "iat" here; `ReceivedClaims` requires it.
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = settings.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;

        Ok(Self {
            header: Header::new(ALGORITHM),
            encoding_key: EncodingKey::from_rsa_der(private_der.as_bytes()),
            decoding_key: DecodingKey::from_rsa_der(public_der.as_bytes()),
            validation,
            lifetime_seconds,
            leeway_seconds: settings.leeway_seconds,
        })
    }

    /// How long issued tokens live, in seconds.
    #[must_use]
    pub fn access_token_lifetime_seconds(&self) -> u64 {
        self.lifetime_seconds
    }
}

impl fmt::Debug for JwtTokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtTokenService")
            .field("algorithm", &ALGORITHM)
            .field("lifetime_seconds", &self.lifetime_seconds)
            .field("leeway_seconds", &self.leeway_seconds)
            .finish_non_exhaustive()
    }
}

impl TokenService for JwtTokenService {
    fn issue(&self, user: UserId) -> Result<IssuedToken, TokenError> {
        if user.0 <= 0 {
            return Err(TokenError::Unexpected(anyhow::anyhow!(
                "refusing to issue a token for the non-positive user id {}",
                user.0
            )));
        }
        let now = now_seconds()?;
        let exp = now
            .checked_add(self.lifetime_seconds)
            .context("token expiry overflows")?;
        let claims = IssuedClaims {
            sub: user.0.to_string(),
            iat: now,
            nbf: now,
            exp,
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.encoding_key)
            .context("signing the access token failed")?;
        Ok(IssuedToken {
            access_token: AccessToken::new(token),
            expires_in: self.lifetime_seconds,
        })
    }

    fn verify(&self, token: &str) -> Result<UserId, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(rejected("token too large"));
        }
        // The header is read (not trusted) only to refuse any other algorithm
        // before a key is involved: no `none`, no HMAC with the public key.
        let header = jsonwebtoken::decode_header(token).map_err(|_| rejected("bad header"))?;
        if header.alg != ALGORITHM {
            return Err(rejected("algorithm is not RS256"));
        }
        // We understand no critical extension (RFC 7515 4.1.11), and a JWE
        // or compressed payload is not one of our tokens.
        if header.crit.is_some() || header.enc.is_some() || header.zip.is_some() {
            return Err(rejected("unsupported header parameter"));
        }
        let data =
            jsonwebtoken::decode::<ReceivedClaims>(token, &self.decoding_key, &self.validation)
                .map_err(|err| rejected(rejection_reason(err.kind())))?;
        let now = now_seconds()?;
        if data.claims.iat > now.saturating_add(self.leeway_seconds) {
            return Err(rejected("issued in the future"));
        }
        parse_subject(&data.claims.sub).ok_or_else(|| rejected("subject is not a user id"))
    }
}

/// A positive i64 written canonically (no sign, no leading zero, no spaces).
fn parse_subject(sub: &str) -> Option<UserId> {
    let id: i64 = sub.parse().ok()?;
    (id > 0 && id.to_string() == sub).then_some(UserId(id))
}

/// A fixed description of why `jsonwebtoken` refused a token: its own
/// messages can quote parts of the token, which must not reach a log.
fn rejection_reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::MissingRequiredClaim(_) => "missing claim",
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "malformed claims",
        ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => {
            "unexpected audience, issuer or subject"
        }
        ErrorKind::InvalidAlgorithm => "algorithm",
        _ => "malformed token",
    }
}

fn rejected(reason: &'static str) -> TokenError {
    tracing::debug!(reason, "access token rejected");
    TokenError::Invalid
}

fn now_seconds() -> Result<u64, TokenError> {
    let now = chrono::Utc::now().timestamp();
    u64::try_from(now)
        .map_err(|_| TokenError::Unexpected(anyhow::anyhow!("the system clock is before 1970")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_must_be_a_canonical_positive_integer() {
        assert_eq!(parse_subject("42"), Some(UserId(42)));
        assert_eq!(parse_subject("9223372036854775807"), Some(UserId(i64::MAX)));
        for bad in [
            "",
            "0",
            "-5",
            "+5",
            "05",
            " 5",
            "5 ",
            "abc",
            "1e3",
            "9223372036854775808",
        ] {
            assert_eq!(parse_subject(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn default_settings_are_a_day_without_leeway() {
        let settings = JwtSettings::default();
        assert_eq!(settings.access_token_lifetime.as_secs(), 86_400);
        assert_eq!(settings.leeway_seconds, 0);
    }
}
