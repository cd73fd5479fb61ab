//! The tokens: the key pair that signs and verifies access tokens, the names
//! and lifetimes they carry, and how long sessions (and so refresh tokens)
//! live.

use std::path::PathBuf;
use std::time::Duration;

use super::reader::{Reader, Secret};

/// The tokens' settings.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub private_key_path: PathBuf,
    pub public_key_path: PathBuf,
    /// Only for an encrypted PKCS#8 private key.
    pub private_key_password: Option<Secret>,
    pub access_token_expire_minutes: u64,
    pub leeway_seconds: u64,
    /// `iss` of the access tokens issued, and required of those received.
    pub issuer: String,
    /// `aud` of the access tokens issued, and required of those received.
    pub audience: String,
    /// Retired public keys (PEM files) still accepted for verification and
    /// published in the JWKS. A missing directory means none.
    pub verify_keys_dir: PathBuf,
    /// How many verified access tokens to remember, so that the same token
    /// skips the signature check next time (never the session check); 0: off.
    pub verify_cache_size: usize,
    /// How long a session, and so its refresh tokens, lives from login.
    pub refresh_token_expire_days: u64,
    /// `REFRESH_TOKEN_EXPIRE_SECONDS`: the same lifetime to the second
    /// (sessions shorter than a day); when set it is the lifetime, and
    /// `REFRESH_TOKEN_EXPIRE_DAYS` must not be set too.
    pub refresh_token_expire_seconds: Option<u64>,
    /// How long a spent refresh token may be replayed for the same answer.
    pub refresh_reuse_grace_seconds: u64,
    /// `PAT_MAX_PER_USER`: the most unrevoked personal access tokens a user
    /// may hold.
    pub pat_max_per_user: usize,
    /// `REVOKE_PATS_ON_PASSWORD_CHANGE`: a password change or reset revokes
    /// the user's personal access tokens.
    pub revoke_pats_on_password_change: bool,
}

impl TokenSettings {
    /// `JWT_PRIVATE_KEY_PATH`, `JWT_PUBLIC_KEY_PATH`,
    /// `JWT_PRIVATE_KEY_PASSWORD`, `ACCESS_TOKEN_EXPIRE_MINUTES`,
    /// `JWT_LEEWAY_SECONDS`, `JWT_ISSUER`, `JWT_AUDIENCE`,
    /// `JWT_VERIFY_KEYS_DIR`, `JWT_VERIFY_CACHE_SIZE`,
    /// `REFRESH_TOKEN_EXPIRE_DAYS` or `REFRESH_TOKEN_EXPIRE_SECONDS`,
    /// `REFRESH_REUSE_GRACE_SECONDS`, `PAT_MAX_PER_USER` and
    /// `REVOKE_PATS_ON_PASSWORD_CHANGE`.
    pub(super) fn read(r: &mut Reader<'_>) -> Self {
        let refresh_token_expire_seconds = r
            .raw("REFRESH_TOKEN_EXPIRE_SECONDS")
            .map(|_| r.ranged("REFRESH_TOKEN_EXPIRE_SECONDS", 0, 60..=3650 * 86_400));
        if refresh_token_expire_seconds.is_some() && r.raw("REFRESH_TOKEN_EXPIRE_DAYS").is_some() {
            r.problem(
                "REFRESH_TOKEN_EXPIRE_SECONDS",
                "set the session lifetime once: REFRESH_TOKEN_EXPIRE_DAYS or \
                 REFRESH_TOKEN_EXPIRE_SECONDS, not both",
            );
        }
        Self {
            refresh_token_expire_seconds,
            private_key_path: PathBuf::from(
                r.string("JWT_PRIVATE_KEY_PATH", "keys/private_key.pem"),
            ),
            public_key_path: PathBuf::from(r.string("JWT_PUBLIC_KEY_PATH", "keys/public_key.pem")),
            private_key_password: r.raw("JWT_PRIVATE_KEY_PASSWORD").map(Secret::new),
            access_token_expire_minutes: r.ranged("ACCESS_TOKEN_EXPIRE_MINUTES", 1440, 1..=525_600),
            leeway_seconds: r.ranged("JWT_LEEWAY_SECONDS", 0, 0..=300),
            issuer: r.token_name("JWT_ISSUER", "todo-api"),
            audience: r.token_name("JWT_AUDIENCE", "todo-api"),
            verify_keys_dir: PathBuf::from(r.string("JWT_VERIFY_KEYS_DIR", "keys/retired")),
            verify_cache_size: r.ranged(
                "JWT_VERIFY_CACHE_SIZE",
                10_000,
                0..=auth::jwt::MAX_VERIFIED_CACHE_CAPACITY,
            ),
            refresh_token_expire_days: r.ranged("REFRESH_TOKEN_EXPIRE_DAYS", 30, 1..=3650),
            refresh_reuse_grace_seconds: r.ranged("REFRESH_REUSE_GRACE_SECONDS", 10, 0..=300),
            pat_max_per_user: r.ranged("PAT_MAX_PER_USER", 100, 1..=10_000),
            revoke_pats_on_password_change: r.bool("REVOKE_PATS_ON_PASSWORD_CHANGE", true),
        }
    }

    /// What the token service is made with: lifetimes, leeway, names, cache.
    #[must_use]
    pub fn jwt_settings(&self) -> auth::JwtSettings {
        auth::JwtSettings {
            access_token_lifetime: Duration::from_secs(self.access_token_expire_minutes * 60),
            leeway_seconds: self.leeway_seconds,
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            verified_cache_capacity: self.verify_cache_size,
        }
    }

    /// How long a session, and so its refresh tokens, lives from login.
    #[must_use]
    pub fn refresh_lifetime(&self) -> Duration {
        Duration::from_secs(
            self.refresh_token_expire_seconds
                .unwrap_or(self.refresh_token_expire_days * 86_400),
        )
    }

    /// How long a spent refresh token may be replayed for the same answer.
    #[must_use]
    pub fn reuse_grace(&self) -> Duration {
        Duration::from_secs(self.refresh_reuse_grace_seconds)
    }

    /// The limits on personal access tokens.
    #[must_use]
    pub fn personal_token_policy(&self) -> domain::services::PersonalTokenPolicy {
        domain::services::PersonalTokenPolicy {
            max_per_user: self.pat_max_per_user,
            revoke_on_password_change: self.revoke_pats_on_password_change,
            ..domain::services::PersonalTokenPolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as from;

    #[test]
    fn the_key_password_is_never_printed() {
        let s = from(&[("JWT_PRIVATE_KEY_PASSWORD", "s3cr3t-pass")]).unwrap();
        assert!(!format!("{s:?}").contains("s3cr3t-pass"));
        assert_eq!(
            s.tokens.private_key_password.unwrap().expose(),
            "s3cr3t-pass"
        );
    }

    #[test]
    fn the_session_lifetime_is_given_in_days_or_in_seconds_but_not_both() {
        let days = from(&[("REFRESH_TOKEN_EXPIRE_DAYS", "2")]).unwrap();
        assert_eq!(days.tokens.refresh_lifetime().as_secs(), 2 * 86_400);
        let seconds = from(&[("REFRESH_TOKEN_EXPIRE_SECONDS", "90")]).unwrap();
        assert_eq!(seconds.tokens.refresh_lifetime().as_secs(), 90);
        let both = from(&[
            ("REFRESH_TOKEN_EXPIRE_DAYS", "2"),
            ("REFRESH_TOKEN_EXPIRE_SECONDS", "90"),
        ])
        .unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
        let short = from(&[("REFRESH_TOKEN_EXPIRE_SECONDS", "59")]).unwrap_err();
        assert!(
            short.to_string().contains("REFRESH_TOKEN_EXPIRE_SECONDS"),
            "{short}"
        );
    }

    #[test]
    fn token_names_are_checked() {
        let s = from(&[
            ("JWT_ISSUER", "https://id.example"),
            ("JWT_AUDIENCE", "todo-web"),
        ])
        .unwrap();
        assert_eq!(s.tokens.issuer, "https://id.example");
        assert_eq!(s.tokens.audience, "todo-web");
        let long = "x".repeat(257);
        let err = from(&[("JWT_ISSUER", long.as_str()), ("JWT_AUDIENCE", "a\tb")]).unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
    }
}
