//! A bounded memory of access tokens whose signature and claims were already
//! verified, so that a client presenting the same token again skips the RSA
//! arithmetic. With aws-lc a verification costs about 27 µs; without the
//! cache `GET /v1/todos/{id}` and `GET /v1/auth/me` serve 21–23 % fewer
//! requests a second (the A/B in BENCHMARKS.md).
//!
//! What it may and may not skip:
//! - It is keyed by the SHA-256 of the whole token, so a hit means the very
//!   same bytes were verified before with the same keys (the key set is fixed
//!   for the life of the service); a forged or altered token never hits.
//! - A hit still checks `exp` against the service's clock, with the same
//!   rule and leeway as a full verification, so an expired token is refused
//!   exactly as it would be without the cache. `nbf` and `iat` only become
//!   more valid as time passes, so their earlier check stands (a clock set
//!   back is the exception: a test's, or an operator's mistake).
//! - Only the signature check is skipped: the caller still reads the session
//!   and the user from the database on every request, so a revoked session
//!   or a deactivated or deleted user is refused at once, on every instance.
//! - Only accepted tokens are remembered: garbage cannot evict good entries
//!   any faster than valid tokens can, and a refused token is re-examined.

use domain::ports::VerifiedAccess;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// What a hit returns: the access the token grants, until `exp`.
#[derive(Clone, Copy)]
struct Entry {
    access: VerifiedAccess,
    exp: u64,
}

/// The SHA-256 of a token: the cache key.
pub(super) type TokenDigest = [u8; 32];

/// At most `capacity` verified tokens (least recently used dropped first, by
/// `quick_cache`'s CLOCK-Pro policy); a capacity of 0 disables it.
pub(super) struct VerifiedCache {
    entries: Option<Cache<TokenDigest, Entry>>,
    capacity: usize,
}

impl VerifiedCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: (capacity > 0).then(|| Cache::new(capacity)),
            capacity,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The digest of `token`, or `None` when the cache is off (nothing to
    /// hash for).
    pub(super) fn digest(&self, token: &str) -> Option<TokenDigest> {
        self.entries
            .as_ref()
            .map(|_| Sha256::digest(token.as_bytes()).into())
    }

    /// The access granted by the token of `digest` at `now`, if it was
    /// verified before and has not expired since (`exp` + `leeway` is the
    /// last valid second, as a full verification counts it).
    pub(super) fn get(
        &self,
        digest: &TokenDigest,
        now: u64,
        leeway: u64,
    ) -> Option<VerifiedAccess> {
        let entry = self.entries.as_ref()?.get(digest)?;
        (entry.exp >= now.saturating_sub(leeway)).then_some(entry.access)
    }

    /// Remembers a token that was just fully verified.
    pub(super) fn insert(&self, digest: TokenDigest, access: VerifiedAccess, exp: u64) {
        if let Some(entries) = &self.entries {
            entries.insert(digest, Entry { access, exp });
        }
    }

    /// How many tokens are remembered now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }
}

#[cfg(test)]
mod tests {
    use domain::{SessionId, UserId};

    use super::*;

    const ACCESS: VerifiedAccess = VerifiedAccess {
        user: UserId(7),
        session: SessionId(9),
    };

    #[test]
    fn a_remembered_token_is_returned_until_it_expires() {
        let cache = VerifiedCache::new(10);
        let digest = cache.digest("a.b.c").unwrap();
        cache.insert(digest, ACCESS, 100);
        assert_eq!(cache.get(&digest, 99, 0), Some(ACCESS));
        assert_eq!(cache.get(&digest, 100, 0), Some(ACCESS));
        assert_eq!(cache.get(&digest, 101, 0), None);
    }

    #[test]
    fn the_leeway_extends_expiry_as_a_full_verification_does() {
        let cache = VerifiedCache::new(10);
        let digest = cache.digest("a.b.c").unwrap();
        cache.insert(digest, ACCESS, 100);
        assert_eq!(cache.get(&digest, 130, 30), Some(ACCESS));
        assert_eq!(cache.get(&digest, 131, 30), None);
    }

    #[test]
    fn another_token_never_hits() {
        let cache = VerifiedCache::new(10);
        let digest = cache.digest("a.b.c").unwrap();
        cache.insert(digest, ACCESS, 100);
        let other = cache.digest("a.b.d").unwrap();
        assert_eq!(cache.get(&other, 1, 0), None);
    }

    #[test]
    fn a_zero_capacity_remembers_nothing() {
        let cache = VerifiedCache::new(0);
        assert_eq!(cache.digest("a.b.c"), None);
        cache.insert([0; 32], ACCESS, 100);
        assert_eq!(cache.get(&[0; 32], 1, 0), None);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedCache::new(100);
        for n in 0..10_000 {
            let digest = cache.digest(&format!("token-{n}")).unwrap();
            cache.insert(digest, ACCESS, 100);
        }
        assert!(cache.len() <= 200, "{} entries", cache.len());
    }
}
