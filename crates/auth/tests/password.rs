//! The bcrypt hasher, black-box. Cost 4 everywhere but the one test that
//! keeps the production cost honest.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::thread::available_parallelism;
use std::time::Duration;

use auth::BcryptHasher;
use domain::ports::{HashError, PasswordHasher};
use domain::{Password, PasswordHash};

const FAST: u32 = 4;

fn hasher() -> BcryptHasher {
    BcryptHasher::new(FAST).unwrap()
}

fn pw(text: &str) -> Password {
    Password::candidate(text)
}

#[tokio::test]
async fn hashed_password_verifies() {
    let hasher = hasher();
    let hash = hasher.hash(&pw("correct horse")).await.unwrap();
    assert!(hash.as_str().starts_with("$2b$04$"));
    assert!(hasher.verify(&pw("correct horse"), &hash).await.unwrap());
}

#[tokio::test]
async fn same_password_hashes_differently_each_time() {
    let hasher = hasher();
    let first = hasher.hash(&pw("correct horse")).await.unwrap();
    let second = hasher.hash(&pw("correct horse")).await.unwrap();
    assert_ne!(first, second);
}

#[tokio::test]
async fn wrong_password_does_not_verify() {
    let hasher = hasher();
    let hash = hasher.hash(&pw("correct horse")).await.unwrap();
    for wrong in ["correct hors", "correct horse ", "Correct horse", ""] {
        assert!(
            !hasher.verify(&pw(wrong), &hash).await.unwrap(),
            "{wrong:?}"
        );
    }
}

#[tokio::test]
async fn password_of_exactly_72_bytes_hashes_and_verifies() {
    let hasher = hasher();
    let password = "é".repeat(36); // 72 bytes
    assert_eq!(password.len(), 72);
    let hash = hasher.hash(&pw(&password)).await.unwrap();
    assert!(hasher.verify(&pw(&password), &hash).await.unwrap());
    assert!(!hasher.verify(&pw(&"é".repeat(35)), &hash).await.unwrap());
}

#[tokio::test]
async fn candidate_of_73_bytes_does_not_verify() {
    let hasher = hasher();
    let hash = hasher.hash(&pw("correct horse")).await.unwrap();
    let long = "a".repeat(73);
    assert!(!hasher.verify(&pw(&long), &hash).await.unwrap());
}

#[tokio::test]
async fn passwords_sharing_their_first_72_bytes_are_not_interchangeable() {
    let hasher = hasher();
    let prefix = "p".repeat(72);
    let hash = hasher.hash(&pw(&prefix)).await.unwrap();
    for longer in [format!("{prefix}x"), format!("{prefix}{}", "y".repeat(100))] {
        // Plain bcrypt would accept these: that is the hazard.
        assert!(bcrypt::verify(&longer, hash.as_str()).unwrap());
        assert!(!hasher.verify(&pw(&longer), &hash).await.unwrap());
    }
}

#[tokio::test]
async fn password_over_72_bytes_is_never_hashed() {
    let err: HashError = hasher().hash(&pw(&"a".repeat(73))).await.unwrap_err();
    let cause = format!("{:#}", err.0);
    assert!(cause.contains("72 bytes"), "{cause}");
    assert!(!format!("{err:?}").contains(&"a".repeat(73)));
}

#[tokio::test]
async fn nul_bytes_never_shorten_a_password() {
    let hasher = hasher();
    let hash = hasher.hash(&pw("password1")).await.unwrap();
    // bcrypt's key is the password and a NUL, repeated to 72 bytes: the
    // password, a NUL and the password again make the very same key.
    let with_nul = "password1\0password1";
    assert!(bcrypt::verify(with_nul, hash.as_str()).unwrap());
    assert!(!hasher.verify(&pw(with_nul), &hash).await.unwrap());
    assert!(hasher.hash(&pw(with_nul)).await.is_err());
}

#[tokio::test]
async fn corrupt_stored_hash_is_an_error_not_a_mismatch() {
    let hasher = hasher();
    for stored in [
        "",
        "not a hash",
        "$2b$04$short",
        "$2b$99$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
    ] {
        let result = hasher
            .verify(&pw("correct horse"), &PasswordHash::new(stored))
            .await;
        assert!(result.is_err(), "{stored:?} gave {result:?}");
    }
}

#[tokio::test]
async fn verify_dummy_does_the_work_and_succeeds() {
    let hasher = hasher();
    hasher.verify_dummy(&pw("whatever password")).await.unwrap();
    hasher.verify_dummy(&pw(&"a".repeat(200))).await.unwrap();
    hasher.verify_dummy(&pw("")).await.unwrap();
}

#[tokio::test]
async fn concurrency_is_bounded_by_the_cpu_count() {
    let hasher = BcryptHasher::new(FAST).unwrap();
    assert_eq!(
        hasher.max_concurrency(),
        available_parallelism().unwrap().get()
    );
    assert!(BcryptHasher::with_max_concurrency(FAST, 0).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_verifications_all_finish() {
    let hasher = Arc::new(BcryptHasher::with_max_concurrency(FAST, 2).unwrap());
    assert_eq!(hasher.max_concurrency(), 2);
    let hash = hasher.hash(&pw("correct horse")).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let hasher = Arc::clone(&hasher);
            let hash = hash.clone();
            tokio::spawn(async move {
                let candidate = if i % 2 == 0 {
                    "correct horse"
                } else {
                    "wrong horse"
                };
                (i, hasher.verify(&pw(candidate), &hash).await.unwrap())
            })
        })
        .collect();
    let results = tokio::time::timeout(Duration::from_secs(30), join_all(tasks))
        .await
        .unwrap();
    assert_eq!(results.len(), 8);
    for (i, matched) in results {
        assert_eq!(matched, i % 2 == 0);
    }
}

async fn join_all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "current_thread")]
async fn hashing_leaves_the_async_thread_free() {
    // On a single-threaded runtime, a hash computed on the async thread would
    // stop this loop from ticking until it is done.
    let hasher = BcryptHasher::new(10).unwrap();
    let hashing = tokio::spawn(async move { hasher.hash(&pw("correct horse")).await });
    let mut ticks = 0;
    while !hashing.is_finished() {
        tokio::time::sleep(Duration::from_millis(1)).await;
        ticks += 1;
    }
    hashing.await.unwrap().unwrap();
    assert!(ticks >= 2, "only {ticks} ticks while hashing");
}

#[tokio::test]
async fn production_cost_12_hash_is_2b_12_and_verifies() {
    let hasher = BcryptHasher::new(12).unwrap();
    assert_eq!(hasher.cost(), 12);
    let hash = hasher.hash(&pw("correct horse battery")).await.unwrap();
    assert!(hash.as_str().starts_with("$2b$12$"), "{}", hash.as_str());
    assert_eq!(hash.as_str().len(), 60);
    assert!(
        hasher
            .verify(&pw("correct horse battery"), &hash)
            .await
            .unwrap()
    );
}

#[test]
fn cost_outside_4_to_31_is_refused() {
    for cost in [0, 3, 32, 100] {
        assert!(BcryptHasher::new(cost).is_err(), "cost {cost}");
    }
}

#[tokio::test]
async fn hasher_debug_shows_only_its_settings() {
    let hasher = hasher();
    let shown = format!("{hasher:?}");
    assert!(shown.contains("cost: 4"), "{shown}");
    assert!(!shown.contains("$2b$"), "{shown}");
}
