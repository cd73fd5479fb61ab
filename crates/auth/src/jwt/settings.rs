//! What the token service is configured with: lifetimes, tolerances and the
//! names tokens carry.

use std::time::Duration;

use anyhow::bail;

/// The longest accepted clock-skew allowance: beyond this a clock is broken,
/// not skewed.
pub const MAX_LEEWAY_SECONDS: u64 = 300;
/// The longest accepted access-token lifetime.
pub const MAX_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 24 * 60 * 60);
/// The longest accepted issuer or audience name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// The most verified tokens remembered (about 100 bytes each).
pub const MAX_VERIFIED_CACHE_CAPACITY: usize = 1_000_000;

/// Token lifetimes, tolerances and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSettings {
    /// How long an access token is valid; whole seconds count. Default 24 h.
    pub access_token_lifetime: Duration,
    /// Clock-skew allowance applied to `exp`, `nbf` and `iat`. Default 0.
    pub leeway_seconds: u64,
    /// The `iss` tokens are issued with and must carry. Default `todo-api`.
    pub issuer: String,
    /// The `aud` tokens are issued for and must name. Default `todo-api`.
    pub audience: String,
    /// How many verified tokens to remember so that the same token presented
    /// again skips the signature check (never the session check); 0 turns
    /// the memory off. Default 10,000.
    pub verified_cache_capacity: usize,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(24 * 60 * 60),
            leeway_seconds: 0,
            issuer: "todo-api".to_owned(),
            audience: "todo-api".to_owned(),
            verified_cache_capacity: 10_000,
        }
    }
}

impl JwtSettings {
    /// Refuses values no deployment should run with.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        let lifetime_seconds = self.access_token_lifetime.as_secs();
        if lifetime_seconds == 0 {
            bail!("the access token lifetime must be at least one second");
        }
        if self.access_token_lifetime > MAX_ACCESS_TOKEN_LIFETIME {
            bail!(
                "the access token lifetime may be at most {} seconds, {lifetime_seconds} asked",
                MAX_ACCESS_TOKEN_LIFETIME.as_secs()
            );
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            bail!(
                "the token leeway may be at most {MAX_LEEWAY_SECONDS} seconds, {} asked",
                self.leeway_seconds
            );
        }
        if self.verified_cache_capacity > MAX_VERIFIED_CACHE_CAPACITY {
            bail!(
                "the verified-token cache may hold at most {MAX_VERIFIED_CACHE_CAPACITY} tokens, {} asked",
                self.verified_cache_capacity
            );
        }
        check_name("issuer", &self.issuer)?;
        check_name("audience", &self.audience)
    }
}

fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        bail!("the token {what} must not be empty");
    }
    if name.len() > MAX_NAME_BYTES {
        bail!("the token {what} may be at most {MAX_NAME_BYTES} bytes long");
    }
    if name.chars().any(char::is_control) {
        bail!("the token {what} must not contain control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_a_day_without_leeway_for_todo_api() {
        let settings = JwtSettings::default();
        assert_eq!(settings.access_token_lifetime.as_secs(), 86_400);
        assert_eq!(settings.leeway_seconds, 0);
        assert_eq!(settings.issuer, "todo-api");
        assert_eq!(settings.audience, "todo-api");
        assert!(settings.check().is_ok());
    }

    #[test]
    fn blank_or_control_character_names_are_refused() {
        for bad in ["", "  ", "todo\napi", &"x".repeat(MAX_NAME_BYTES + 1)] {
            let issuer = JwtSettings {
                issuer: bad.to_owned(),
                ..JwtSettings::default()
            };
            assert!(issuer.check().is_err(), "issuer {bad:?}");
            let audience = JwtSettings {
                audience: bad.to_owned(),
                ..JwtSettings::default()
            };
            assert!(audience.check().is_err(), "audience {bad:?}");
        }
    }
}
