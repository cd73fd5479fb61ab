//! bcrypt password hashing: the [`PasswordHasher`] port.
//!
//! bcrypt is deliberately slow (about 0.25 s at cost 12), so the work runs on
//! threads of its own at a lower CPU priority (see the [`threads`] module),
//! never on the async workers, and a semaphore lets at most one hash per CPU
//! run at a time; further requests queue instead of piling work onto a
//! saturated CPU.
//!
//! bcrypt makes its key from the password and a terminating NUL, repeated
//! (or cut) to 72 bytes, so two different passwords can share a hash. This
//! adapter refuses to hash such passwords and never lets such a candidate
//! verify:
//! - longer than 72 bytes: everything past byte 72 would be ignored, so
//!   `hash` fails and `verify` answers `false`;
//! - containing a NUL byte: `"pw\0pw"` makes the same key as `"pw"` (and C
//!   implementations stop reading at the NUL), so the same.
//!
//! bcrypt 0.19's `non_truncating_*` functions are not used: they also refuse a
//! password of exactly 72 bytes, which the domain allows and which bcrypt
//! hashes without loss. The checks above give the same guarantee.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread::available_parallelism;

use anyhow::{Context, anyhow, bail};
use async_trait::async_trait;
use domain::password::MAX_PASSWORD_BYTES;
use domain::ports::{HashError, PasswordHasher};
use domain::{Password, PasswordHash};
use tokio::sync::{Semaphore, oneshot};
use zeroize::Zeroizing;

use self::threads::HashingThreads;

mod threads;

pub use threads::{DEFAULT_HASHING_NICE, MAX_HASHING_NICE};

/// The cost range bcrypt accepts.
pub const MIN_BCRYPT_COST: u32 = 4;
pub const MAX_BCRYPT_COST: u32 = 31;

/// Hashed against when the candidate can never match, so that refusing it
/// costs the same time as a real comparison.
const STAND_IN_CANDIDATE: &[u8] = b"stand-in for a candidate that cannot match";

/// bcrypt behind a concurrency bound. Cheap to clone: clones share the bound.
#[derive(Clone)]
pub struct BcryptHasher {
    cost: u32,
    permits: usize,
    semaphore: Arc<Semaphore>,
    threads: Arc<HashingThreads>,
    dummy_hash: Arc<str>,
}

impl BcryptHasher {
    /// A hasher at `cost`, running at most as many hashes at once as the
    /// machine has CPUs (`std::thread::available_parallelism`, 1 if unknown).
    ///
    /// Makes the stand-in hash used by `verify_dummy` in about a millisecond
    /// (see [`stand_in_hash`]), so start-up does not wait for bcrypt.
    ///
    /// # Errors
    /// When `cost` is outside 4..=31 or the stand-in hash cannot be made.
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        Self::with_nice(cost, DEFAULT_HASHING_NICE)
    }

    /// Like [`BcryptHasher::new`], hashing at nice `nice` (0..=19) instead of
    /// [`DEFAULT_HASHING_NICE`]: lower gives logins a larger share of
    /// saturated CPUs, at the expense of other requests' latency.
    ///
    /// # Errors
    /// As [`BcryptHasher::new`], and when `nice` is above 19.
    pub fn with_nice(cost: u32, nice: u8) -> anyhow::Result<Self> {
        let permits = available_parallelism().map_or(1, NonZeroUsize::get);
        Self::build(cost, permits, nice)
    }

    /// Like [`BcryptHasher::new`] with an explicit bound on concurrent hashes.
    ///
    /// # Errors
    /// When `cost` is outside 4..=31, `max_concurrency` is 0 or larger than
    /// the semaphore allows, or the stand-in hash cannot be made.
    pub fn with_max_concurrency(cost: u32, max_concurrency: usize) -> anyhow::Result<Self> {
        Self::build(cost, max_concurrency, DEFAULT_HASHING_NICE)
    }

    fn build(cost: u32, max_concurrency: usize, nice: u8) -> anyhow::Result<Self> {
        if nice > MAX_HASHING_NICE {
            bail!(
                "the nice value of password hashing must be at most {MAX_HASHING_NICE}, {nice} asked"
            );
        }
        if !(MIN_BCRYPT_COST..=MAX_BCRYPT_COST).contains(&cost) {
            bail!(
                "the bcrypt cost must be between {MIN_BCRYPT_COST} and {MAX_BCRYPT_COST}, {cost} asked"
            );
        }
        if max_concurrency == 0 || max_concurrency > Semaphore::MAX_PERMITS {
            bail!(
                "the number of concurrent password hashes must be at least 1, {max_concurrency} asked"
            );
        }
        let dummy_hash = stand_in_hash(cost)?;
        Ok(Self {
            cost,
            permits: max_concurrency,
            semaphore: Arc::new(Semaphore::new(max_concurrency)),
            threads: Arc::new(HashingThreads::start(max_concurrency, nice)?),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The bcrypt cost new hashes are made with.
    #[must_use]
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// How many hashes or verifications may run at once.
    #[must_use]
    pub fn max_concurrency(&self) -> usize {
        self.permits
    }

    /// Runs `work` on a hashing thread once a permit is free. The permit
    /// moves into the job, so a caller that gives up (a client hanging up)
    /// does not free it before the CPU work is over; holding a permit means a
    /// thread is free for the job, so it never waits in the queue.
    async fn run_blocking<T, F>(&self, work: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.semaphore)
            .acquire_owned()
            .await
            .map_err(|err| HashError(anyhow!(err).context("the hashing semaphore was closed")))?;
        let (done, result) = oneshot::channel();
        self.threads
            .run(Box::new(move || {
                let output = work();
                // Free before answering: the caller may hash again at once.
                drop(permit);
                // The caller may have given up; the work is done either way.
                let _ = done.send(output);
            }))
            .map_err(HashError)?;
        result
            .await
            .map_err(|err| HashError(anyhow!(err).context("the password hashing job failed")))
    }
}

impl fmt::Debug for BcryptHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BcryptHasher")
            .field("cost", &self.cost)
            .field("max_concurrency", &self.permits)
            .finish_non_exhaustive()
    }
}

/// A well-formed bcrypt hash at `cost` that no password matches: a random
/// secret hashed at the minimum cost, with its cost field rewritten. Verifying
/// against it does exactly the work of one verification at `cost` (bcrypt
/// reads the cost and salt from the string), and the digest belongs to a
/// cost-4 hash, so no candidate can produce it. Making it costs a cost-4 hash
/// instead of a full one, which keeps start-up fast.
fn stand_in_hash(cost: u32) -> anyhow::Result<String> {
    let mut secret = [0u8; 32];
    rand::Rng::fill(&mut rand::thread_rng(), &mut secret);
    let cheap =
        bcrypt::hash(secret, MIN_BCRYPT_COST).context("computing the stand-in hash failed")?;
    // "$2b$04$" + 22 salt characters + 31 digest characters.
    let rest = cheap
        .strip_prefix("$2b$04$")
        .context("bcrypt produced a hash in an unexpected format")?;
    Ok(format!("$2b${cost:02}${rest}"))
}

/// Whether bcrypt's key for `password` belongs to no other password.
fn bcrypt_tells_apart(password: &[u8]) -> bool {
    password.len() <= MAX_PASSWORD_BYTES && !password.contains(&0)
}

/// Compares `candidate` with `stored`. A candidate bcrypt cannot tell apart
/// from others is replaced by a stand-in (same work) and never matches.
fn compare(candidate: &[u8], stored: &str) -> Result<bool, bcrypt::BcryptError> {
    if bcrypt_tells_apart(candidate) {
        bcrypt::verify(candidate, stored)
    } else {
        bcrypt::verify(STAND_IN_CANDIDATE, stored).map(|_| false)
    }
}

fn secret_bytes(password: &Password) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(password.expose().as_bytes().to_vec())
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    /// # Errors
    /// [`HashError`] for a password longer than 72 bytes or containing a NUL
    /// byte (bcrypt would ignore part of it), or when bcrypt fails.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let password = secret_bytes(password);
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(HashError(anyhow!(
                "refusing to hash a password longer than bcrypt's {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        if password.contains(&0) {
            return Err(HashError(anyhow!(
                "refusing to hash a password containing a NUL byte (bcrypt cannot tell it apart)"
            )));
        }
        let cost = self.cost;
        self.run_blocking(move || bcrypt::hash(password.as_slice(), cost))
            .await?
            .map(PasswordHash::new)
            .map_err(|err| HashError(anyhow!(err).context("bcrypt hashing failed")))
    }

    /// `Ok(false)` for a wrong password and for a candidate bcrypt could not
    /// read in full (over 72 bytes, or with a NUL byte), after the same work.
    ///
    /// # Errors
    /// [`HashError`] when the stored hash is not a bcrypt hash: that is a
    /// corrupt record, not a wrong password, and must not read as one.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        let candidate = secret_bytes(password);
        let stored = hash.as_str().to_owned();
        self.run_blocking(move || compare(&candidate, &stored))
            .await?
            .map_err(|err| {
                HashError(
                    anyhow!(err).context("the stored password hash is not a valid bcrypt hash"),
                )
            })
    }

    /// One verification against the stand-in hash made at construction.
    ///
    /// # Errors
    /// [`HashError`] when the blocking task fails.
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        let candidate = secret_bytes(password);
        let stored = Arc::clone(&self.dummy_hash);
        self.run_blocking(move || compare(&candidate, &stored))
            .await?
            .map(drop)
            .map_err(|err| {
                HashError(anyhow!(err).context("verifying against the stand-in hash failed"))
            })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_stand_in_hash_is_a_well_formed_hash_at_the_configured_cost_that_nothing_matches() {
        for cost in [4, 5, 12, 31] {
            let hash = stand_in_hash(cost).unwrap();
            let parts: bcrypt::HashParts = hash.parse().unwrap();
            assert_eq!(parts.get_cost(), cost);
            assert_eq!(hash.len(), 60);
        }
        // Verifying does real work at that cost and never matches.
        let hash = stand_in_hash(6).unwrap();
        for candidate in [&b""[..], b"password", STAND_IN_CANDIDATE] {
            assert!(!bcrypt::verify(candidate, &hash).unwrap());
        }
    }

    #[tokio::test]
    async fn the_hasher_verifies_unknown_users_against_a_stand_in_at_its_own_cost() {
        let hasher = BcryptHasher::new(12).unwrap();
        let parts: bcrypt::HashParts = hasher.dummy_hash.parse().unwrap();
        assert_eq!(parts.get_cost(), 12);
        hasher
            .verify_dummy(&Password::candidate("anything at all"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn work_waits_for_a_free_permit() {
        let hasher = BcryptHasher::with_max_concurrency(4, 2).unwrap();
        let hash = hasher
            .hash(&Password::candidate("correct horse"))
            .await
            .unwrap();

        // Occupy every permit: a verification must queue, not run.
        let held = Arc::clone(&hasher.semaphore)
            .acquire_many_owned(2)
            .await
            .unwrap();
        let queued = {
            let hasher = hasher.clone();
            let hash = hash.clone();
            tokio::spawn(async move {
                hasher
                    .verify(&Password::candidate("correct horse"), &hash)
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!queued.is_finished(), "verification ran without a permit");

        drop(held);
        let verified = tokio::time::timeout(Duration::from_secs(10), queued)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(verified);
        assert_eq!(hasher.semaphore.available_permits(), 2);
    }

    /// Fields 19 (nice) and 41 (scheduling policy) of this thread's stat.
    #[cfg(target_os = "linux")]
    fn nice_and_policy_of_this_thread() -> (i32, u32) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // After the command name in parentheses, field 3 onwards.
        let (_, fields) = stat.rsplit_once(") ").unwrap();
        let fields: Vec<&str> = fields.split_whitespace().collect();
        (
            fields[19 - 3].parse().unwrap(),
            fields[41 - 3].parse().unwrap(),
        )
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_at_nice_10_under_sched_batch_and_the_caller_does_not() {
        const SCHED_BATCH: u32 = 3;
        // The test process may itself run under `nice` (a CI step, a
        // developer's `nice cargo test`): the caller keeps whatever it had.
        let before = nice_and_policy_of_this_thread();
        let hasher = BcryptHasher::with_max_concurrency(4, 2).unwrap();

        let on_hashing_thread = hasher
            .run_blocking(nice_and_policy_of_this_thread)
            .await
            .unwrap();

        assert_eq!(DEFAULT_HASHING_NICE, 10);
        if before.0 <= 10 {
            assert_eq!(on_hashing_thread, (10, SCHED_BATCH));
        } else {
            // Lowering a nice value takes a privilege the test lacks.
            eprintln!("the test runs at nice {}: above 10, not checked", before.0);
        }
        assert_eq!(nice_and_policy_of_this_thread(), before);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn every_configurable_nice_is_the_one_the_hashing_threads_get() {
        const SCHED_BATCH: u32 = 3;
        // Under an outer `nice`, without the privilege to lower it, only the
        // values at or above the test's own can be had.
        let (base, _) = nice_and_policy_of_this_thread();
        let privileged = std::fs::read_to_string("/proc/self/status")
            .is_ok_and(|status| status.lines().any(|l| l.starts_with("Uid:\t0\t")));
        for nice in 0..=MAX_HASHING_NICE {
            if !privileged && i32::from(nice) < base {
                continue;
            }
            let hasher = BcryptHasher::with_nice(4, nice).unwrap();
            let on_hashing_thread = hasher
                .run_blocking(nice_and_policy_of_this_thread)
                .await
                .unwrap();
            assert_eq!(on_hashing_thread, (i32::from(nice), SCHED_BATCH));
        }
        assert!(BcryptHasher::with_nice(4, MAX_HASHING_NICE + 1).is_err());
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_threads_keep_working() {
        let hasher = BcryptHasher::with_max_concurrency(4, 1).unwrap();

        let panicked = hasher
            .run_blocking(|| -> u32 { panic!("job failed on purpose") })
            .await;
        let after = hasher.run_blocking(|| 7).await;

        assert!(panicked.is_err());
        assert_eq!(after.unwrap(), 7);
        assert_eq!(hasher.semaphore.available_permits(), 1);
    }

    #[test]
    fn nul_bytes_and_overlong_candidates_are_told_apart_from_nothing() {
        assert!(bcrypt_tells_apart(&[b'a'; 72]));
        assert!(!bcrypt_tells_apart(&[b'a'; 73]));
        assert!(!bcrypt_tells_apart(b"pass\0word"));
    }
}
