//! RS256 access tokens: the [`TokenService`] port implemented with
//! `jsonwebtoken`.
//!
//! A token is `{"typ":"at+jwt","alg":"RS256","kid":<thumbprint>}` over the
//! claims `iss`, `aud`, `sub` (the user id as a decimal string), `iat`, `nbf`
//! (= `iat`), `exp` (= `iat` + lifetime), `jti` and `sid` (the session id as
//! a decimal string), times in seconds since the epoch. Issuing is a pure
//! function of the [`AccessClaims`]: the same claims give the same bytes.
//!
//! Verification trusts nothing in the token before its signature is checked:
//! the header only chooses among the keys configured at start-up (the active
//! key and the retired ones, by `kid`), and every way a client can get a
//! token wrong ends in [`TokenError::Invalid`].
//!
//! "Now" is the [`Clock`] the service is given ([`JwtTokenService::with_clock`];
//! the system clock unless told otherwise), never the system time behind its
//! back: `jsonwebtoken` checks the signature and the names, and the service
//! checks `exp`, `nbf` and `iat` against the clock itself.

mod claims;
mod header;
mod key_set;
mod settings;
mod verified_cache;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use domain::ports::{
    AccessClaims, AccessToken, Clock, IssuedToken, TokenError, TokenService, VerifiedAccess,
};
use domain::time::SystemClock;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};

pub use header::MAX_KID_BYTES;
pub use settings::{
    JwtSettings, MAX_ACCESS_TOKEN_LIFETIME, MAX_LEEWAY_SECONDS, MAX_NAME_BYTES,
    MAX_VERIFIED_CACHE_CAPACITY,
};

use self::claims::{IssuedClaims, ReceivedClaims, parse_session, parse_user};
use self::key_set::{KeySet, load_retired_keys};
use self::verified_cache::VerifiedCache;
use crate::cursors::HmacCursorSeal;
use crate::keys::{
    PrivateKey, PublicKey, ensure_pair_matches, load_private_key_pem, load_public_key_pem,
    parse_private_key_pem, parse_public_key_pem, thumbprint,
};
use crate::refresh_tokens::HmacRefreshTokens;

/// Tokens longer than this are refused unread. Ours are under 1 KiB with a
/// 2048-bit key and about 1.1 KiB with a 4096-bit key (plus twice the
/// issuer and audience names beyond their default length).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// The `typ` header of the tokens we issue (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

const ALGORITHM: Algorithm = Algorithm::RS256;

/// Issues and verifies RS256 access tokens. The keys are parsed once, when
/// the service is built; verification never reads a file or the network,
/// and takes the time from the service's [`Clock`]. `Debug` shows no key
/// material.
pub struct JwtTokenService {
    header: Header,
    encoding_key: EncodingKey,
    keys: KeySet,
    validation: Validation,
    settings: JwtSettings,
    lifetime_seconds: u64,
    refresh_tokens: HmacRefreshTokens,
    cursor_seal: HmacCursorSeal,
    verified: VerifiedCache,
    clock: Arc<dyn Clock>,
}

impl JwtTokenService {
    /// Loads the key pair from PEM files (see [`crate::keys`] for the accepted
    /// forms; `private_key_password` decrypts an encrypted PKCS#8 key) and
    /// every `*.pem` public key in `verify_keys_dir` as a retired key still
    /// accepted for verification. A missing directory holds no keys.
    ///
    /// # Errors
    /// When a key cannot be read or parsed (a [`crate::keys::KeyLoadError`]
    /// naming the file or directory), when the public key does not belong to
    /// the private key ([`crate::keys::KeyLoadError::Mismatch`]), or when the
    /// settings are out of range.
    pub fn from_files(
        private_key_path: &Path,
        public_key_path: &Path,
        private_key_password: Option<&str>,
        verify_keys_dir: Option<&Path>,
        settings: JwtSettings,
    ) -> anyhow::Result<Self> {
        let private = load_private_key_pem(private_key_path, private_key_password)?;
        let public = load_public_key_pem(public_key_path)?;
        let retired = match verify_keys_dir {
            Some(dir) => load_retired_keys(dir)?,
            None => Vec::new(),
        };
        Self::from_keys(&private, &public, &retired, settings)
    }

    /// Builds the service from an unencrypted private key PEM, its public key
    /// PEM and retired public key PEMs, held in memory.
    ///
    /// # Errors
    /// As [`JwtTokenService::from_files`], without the file errors.
    pub fn from_pem(
        private_pem: &[u8],
        public_pem: &[u8],
        retired_public_pems: &[Vec<u8>],
        settings: JwtSettings,
    ) -> anyhow::Result<Self> {
        let private = parse_private_key_pem(private_pem, None, "the in-memory private key")?;
        let public = parse_public_key_pem(public_pem, "the in-memory public key")?;
        let retired = retired_public_pems
            .iter()
            .enumerate()
            .map(|(index, pem)| {
                parse_public_key_pem(pem, &format!("the in-memory retired public key #{index}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_keys(&private, &public, &retired, settings)
    }

    /// Builds the service from already loaded keys.
    ///
    /// # Errors
    /// [`crate::keys::KeyLoadError::Mismatch`] when `private` and `public` do
    /// not belong together; an error when the settings are out of range or a
    /// key cannot be re-encoded.
    pub fn from_keys(
        private: &PrivateKey,
        public: &PublicKey,
        retired: &[PublicKey],
        settings: JwtSettings,
    ) -> anyhow::Result<Self> {
        settings.check()?;
        ensure_pair_matches(private, public)?;

        let keys = KeySet::new(public, retired)?;
        let refresh_tokens = HmacRefreshTokens::from_private_key(private)?;
        let cursor_seal = HmacCursorSeal::from_private_key(private)?;

        let mut header = Header::new(ALGORITHM);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(thumbprint(public));

        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        // jsonwebtoken knows only these; `ReceivedClaims` requires the rest
        // (`iat`, `jti`, `sid`) and refuses ill-typed values. Required, `exp`
        // and `nbf` must still be present as numbers...
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        // ...but jsonwebtoken would compare them with the system time: the
        // service compares them with its clock instead (`check_times`).
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.validate_aud = true;

        Ok(Self {
            header,
            encoding_key: EncodingKey::from_rsa_der(private.pkcs1_der().as_bytes()),
            keys,
            validation,
            lifetime_seconds: settings.access_token_lifetime.as_secs(),
            verified: VerifiedCache::new(settings.verified_cache_capacity),
            settings,
            refresh_tokens,
            cursor_seal,
            clock: Arc::new(SystemClock),
        })
    }

    /// The service reading "now" from `clock` when it verifies a token (the
    /// composition root passes the clock the use cases get; tests a
    /// `ManualClock`). Without it, the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long issued tokens live, in seconds.
    #[must_use]
    pub fn access_token_lifetime_seconds(&self) -> u64 {
        self.lifetime_seconds
    }

    /// The `kid` of the active signing key (its RFC 7638 thumbprint).
    #[must_use]
    pub fn kid(&self) -> &str {
        self.header.kid.as_deref().unwrap_or_default()
    }

    /// The `kid`s accepted for verification: the active key's first, then
    /// the retired keys'.
    #[must_use]
    pub fn verification_kids(&self) -> &[String] {
        self.keys.kids()
    }

    /// The JSON Web Key Set to publish:
    /// `{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid","n","e"}, ..]}`,
    /// the active key first, then the retired ones. Public members only.
    #[must_use]
    pub fn jwks(&self) -> serde_json::Value {
        self.keys.jwks().clone()
    }

    /// The refresh-token adapter keyed from this service's signing key (see
    /// [`HmacRefreshTokens`]).
    #[must_use]
    pub fn refresh_tokens(&self) -> HmacRefreshTokens {
        self.refresh_tokens.clone()
    }

    /// The list-cursor seal keyed from this service's signing key (see
    /// [`HmacCursorSeal`]).
    #[must_use]
    pub fn cursor_seal(&self) -> HmacCursorSeal {
        self.cursor_seal.clone()
    }

    /// The access a token grants at `now`, or why it grants none: from the
    /// memory of verified tokens when this very token was verified before
    /// and has not expired (see [`verified_cache`]), else by verifying it.
    fn verify_token(&self, token: &str, now: u64) -> Result<VerifiedAccess, &'static str> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err("token too large");
        }
        let digest = self.verified.digest(token);
        if let Some(digest) = &digest
            && let Some(access) = self.verified.get(digest, now, self.settings.leeway_seconds)
        {
            return Ok(access);
        }
        let (access, exp) = self.verify_signed(token, now)?;
        if let Some(digest) = digest {
            self.verified.insert(digest, access, exp);
        }
        Ok(access)
    }

    /// Checks the signature and every claim: the access and the `exp`.
    fn verify_signed(&self, token: &str, now: u64) -> Result<(VerifiedAccess, u64), &'static str> {
        let kid = header::acceptable_kid(token)?;
        let key = self.keys.get(&kid).ok_or("unknown kid")?;
        let claims = jsonwebtoken::decode::<ReceivedClaims>(token, key, &self.validation)
            .map_err(|err| rejection_reason(err.kind()))?
            .claims;
        check_times(&claims, now, self.settings.leeway_seconds)?;
        // Checked again though jsonwebtoken did: a mistake in its
        // configuration must not open the door.
        if claims.iss != self.settings.issuer {
            return Err("unexpected issuer");
        }
        if !claims.aud.names(&self.settings.audience) {
            return Err("unexpected audience");
        }
        if claims.jti.is_empty() {
            return Err("empty jti");
        }
        let user = parse_user(&claims.sub).ok_or("sub is not a user id")?;
        let session = parse_session(&claims.sid).ok_or("sid is not a session id")?;
        Ok((VerifiedAccess { user, session }, claims.exp))
    }
}

impl fmt::Debug for JwtTokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtTokenService")
            .field("algorithm", &ALGORITHM)
            .field("kid", &self.kid())
            .field("verification_kids", &self.keys.kids())
            .field("issuer", &self.settings.issuer)
            .field("audience", &self.settings.audience)
            .field("lifetime_seconds", &self.lifetime_seconds)
            .field("leeway_seconds", &self.settings.leeway_seconds)
            .field("verified_cache_capacity", &self.verified.capacity())
            .finish_non_exhaustive()
    }
}

impl TokenService for JwtTokenService {
    fn issue(&self, claims: &AccessClaims) -> Result<IssuedToken, TokenError> {
        if claims.user.0 <= 0 || claims.session.0 <= 0 {
            return Err(unexpected(format!(
                "refusing to issue a token for user {} in session {}: ids are positive",
                claims.user.0, claims.session.0
            )));
        }
        if claims.token_id.is_empty() {
            return Err(unexpected("refusing to issue a token without a jti".into()));
        }
        let iat = u64::try_from(claims.issued_at.timestamp())
            .map_err(|_| unexpected("refusing to issue a token dated before 1970".into()))?;
        let exp = iat
            .checked_add(self.lifetime_seconds)
            .context("token expiry overflows")?;
        let signed = IssuedClaims {
            iss: &self.settings.issuer,
            aud: &self.settings.audience,
            sub: claims.user.0.to_string(),
            iat,
            nbf: iat,
            exp,
            jti: &claims.token_id,
            sid: claims.session.0.to_string(),
        };
        let token = jsonwebtoken::encode(&self.header, &signed, &self.encoding_key)
            .context("signing the access token failed")?;
        Ok(IssuedToken {
            access_token: AccessToken::new(token),
            expires_in: self.lifetime_seconds,
        })
    }

    fn verify(&self, token: &str) -> Result<VerifiedAccess, TokenError> {
        let now = seconds_since_epoch(self.clock.now())?;
        self.verify_token(token, now).map_err(|reason| {
            tracing::debug!(reason, "access token rejected");
            TokenError::Invalid
        })
    }
}

/// A fixed description of why `jsonwebtoken` refused a token: its own
/// messages can quote parts of the token, which must not reach a log.
fn rejection_reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::MissingRequiredClaim(_) => "missing or ill-typed registered claim",
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "malformed claims",
        ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => {
            "unexpected audience, issuer or subject"
        }
        ErrorKind::InvalidAlgorithm => "algorithm",
        _ => "malformed token",
    }
}

fn unexpected(message: String) -> TokenError {
    TokenError::Unexpected(anyhow::anyhow!(message))
}

/// The token's times against `now` (whole seconds since the epoch), with
/// `leeway` seconds of allowance each way, as `jsonwebtoken` would count
/// them against the system time: `exp` + `leeway` is the last valid second
/// (the same rule the verified-token memory applies), `nbf` - `leeway` the
/// first; `iat` may not be later than `now` + `leeway` either.
fn check_times(claims: &ReceivedClaims, now: u64, leeway: u64) -> Result<(), &'static str> {
    if claims.exp < now.saturating_sub(leeway) {
        return Err("expired");
    }
    if claims.nbf > now.saturating_add(leeway) {
        return Err("not yet valid");
    }
    if claims.iat > now.saturating_add(leeway) {
        return Err("issued in the future");
    }
    Ok(())
}

/// `now` in whole seconds since the epoch (a fraction of a second is not
/// yet the next second, as `jsonwebtoken` counts).
fn seconds_since_epoch(now: chrono::DateTime<chrono::Utc>) -> Result<u64, TokenError> {
    u64::try_from(now.timestamp()).map_err(|_| unexpected("the clock is before 1970".into()))
}
