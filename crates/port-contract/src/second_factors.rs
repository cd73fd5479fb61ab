//! [`domain::ports::SecondFactorRepository`]: at most one TOTP factor per
//! user, pending until confirmed with its recovery codes, a step accepted
//! only if later than the last one and a code used only once (each exactly
//! once among concurrent tries), removal and user deletion taking the
//! factor and its codes, and a reseal conditional on the old value.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::Repositories;
use domain::{RecoveryCodeHash, SealedSecret, StoredFactor, TotpStep, UserId};

use crate::support::{BASE, at, create_user};

/// A sealed secret standing for `label` (the store never opens it).
fn sealed(label: &str) -> SealedSecret {
    SealedSecret::new(format!("sealed:{label}").into_bytes())
}

fn code_hash(label: &str) -> RecoveryCodeHash {
    RecoveryCodeHash::new(format!("recovery-code-hash-{label}"))
}

/// Ten code hashes named after `set`.
fn codes(set: &str) -> Vec<RecoveryCodeHash> {
    (0..10).map(|i| code_hash(&format!("{set}-{i}"))).collect()
}

async fn factor(ports: &Repositories, user: UserId) -> Option<StoredFactor> {
    ports.second_factors.find(user).await.unwrap()
}

async fn remaining(ports: &Repositories, user: UserId) -> u64 {
    ports
        .second_factors
        .remaining_recovery_codes(user)
        .await
        .unwrap()
}

async fn save_pending(ports: &Repositories, user: UserId, label: &str, at: DateTime<Utc>) -> bool {
    ports
        .second_factors
        .save_pending(user, sealed(label), at)
        .await
        .unwrap()
}

async fn confirm(
    ports: &Repositories,
    user: UserId,
    label: &str,
    codes: Vec<RecoveryCodeHash>,
    at: DateTime<Utc>,
) -> bool {
    ports
        .second_factors
        .confirm(user, &sealed(label), codes, at)
        .await
        .unwrap()
}

async fn accept(ports: &Repositories, user: UserId, step: u64) -> bool {
    ports
        .second_factors
        .accept_step(user, TotpStep(step))
        .await
        .unwrap()
}

async fn use_code(ports: &Repositories, user: UserId, label: &str, at: DateTime<Utc>) -> bool {
    ports
        .second_factors
        .use_recovery_code(user, &code_hash(label), at)
        .await
        .unwrap()
}

/// `user` with a factor sealed as `label`, confirmed at [`BASE`] with the
/// codes of set `label`.
async fn confirmed(ports: &Repositories, user: UserId, label: &str) {
    assert!(save_pending(ports, user, label, BASE).await);
    assert!(confirm(ports, user, label, codes(label), BASE).await);
}

pub async fn a_user_without_a_factor_has_none_and_no_codes(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert_eq!(factor(&ports, alice.id).await, None);
    assert_eq!(remaining(&ports, alice.id).await, 0);
    assert!(!accept(&ports, alice.id, 1).await);
    assert!(!use_code(&ports, alice.id, "anything", BASE).await);
    assert!(!ports.second_factors.remove(alice.id).await.unwrap());
    assert!(
        !ports
            .second_factors
            .reseal(alice.id, &sealed("a"), sealed("b"))
            .await
            .unwrap()
    );
    // Nor does a user that does not exist.
    assert_eq!(factor(&ports, UserId(alice.id.0 + 1000)).await, None);
}

pub async fn save_pending_stores_a_pending_factor(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert!(save_pending(&ports, alice.id, "first", BASE).await);
    assert_eq!(
        factor(&ports, alice.id).await,
        Some(StoredFactor {
            sealed: sealed("first"),
            confirmed_at: None,
            last_used_step: None,
        })
    );
    assert_eq!(remaining(&ports, alice.id).await, 0);
}

pub async fn every_byte_of_a_sealed_secret_round_trips(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bytes: Vec<u8> = (0..=255_u8).chain((0..=255_u8).rev()).collect();
    assert!(
        ports
            .second_factors
            .save_pending(alice.id, SealedSecret::new(bytes.clone()), BASE)
            .await
            .unwrap()
    );
    assert_eq!(
        factor(&ports, alice.id).await.unwrap().sealed.as_bytes(),
        bytes.as_slice()
    );
}

pub async fn save_pending_for_a_missing_user_is_an_error(ports: Repositories) {
    let result = ports
        .second_factors
        .save_pending(UserId(4242), sealed("orphan"), BASE)
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(factor(&ports, UserId(4242)).await, None);
}

pub async fn a_new_enrolment_replaces_a_pending_factor_and_its_last_step(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert!(save_pending(&ports, alice.id, "first", BASE).await);
    assert!(accept(&ports, alice.id, 100).await);

    assert!(save_pending(&ports, alice.id, "second", at(TimeDelta::minutes(1))).await);
    assert_eq!(
        factor(&ports, alice.id).await,
        Some(StoredFactor {
            sealed: sealed("second"),
            confirmed_at: None,
            last_used_step: None,
        })
    );
    // The first secret can no longer be confirmed.
    assert!(!confirm(&ports, alice.id, "first", codes("first"), BASE).await);
}

pub async fn a_confirmed_factor_is_never_replaced_by_an_enrolment(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    confirmed(&ports, alice.id, "kept").await;
    assert!(accept(&ports, alice.id, 7).await);

    assert!(!save_pending(&ports, alice.id, "intruder", at(TimeDelta::minutes(1))).await);
    assert_eq!(
        factor(&ports, alice.id).await,
        Some(StoredFactor {
            sealed: sealed("kept"),
            confirmed_at: Some(BASE),
            last_used_step: Some(TotpStep(7)),
        })
    );
    assert_eq!(remaining(&ports, alice.id).await, 10);
}

pub async fn confirm_confirms_the_pending_factor_with_its_unused_codes(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert!(save_pending(&ports, alice.id, "secret", BASE).await);
    assert!(accept(&ports, alice.id, 55).await);
    let confirmed_at = BASE + TimeDelta::microseconds(123_456);

    assert!(confirm(&ports, alice.id, "secret", codes("secret"), confirmed_at).await);
    assert_eq!(
        factor(&ports, alice.id).await,
        Some(StoredFactor {
            sealed: sealed("secret"),
            confirmed_at: Some(confirmed_at),
            last_used_step: Some(TotpStep(55)),
        })
    );
    assert_eq!(remaining(&ports, alice.id).await, 10);
    // Confirming again changes nothing and stores no more codes.
    assert!(
        !confirm(
            &ports,
            alice.id,
            "secret",
            codes("again"),
            at(TimeDelta::hours(1))
        )
        .await
    );
    assert_eq!(
        factor(&ports, alice.id).await.unwrap().confirmed_at,
        Some(confirmed_at)
    );
    assert_eq!(remaining(&ports, alice.id).await, 10);
    assert!(!use_code(&ports, alice.id, "again-0", BASE).await);
}

pub async fn confirm_of_another_secret_or_of_no_factor_writes_nothing(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert!(!confirm(&ports, alice.id, "none", codes("none"), BASE).await);
    assert_eq!(factor(&ports, alice.id).await, None);
    assert_eq!(remaining(&ports, alice.id).await, 0);

    assert!(save_pending(&ports, alice.id, "current", BASE).await);
    assert!(!confirm(&ports, alice.id, "replaced", codes("replaced"), BASE).await);
    assert_eq!(factor(&ports, alice.id).await.unwrap().confirmed_at, None);
    assert_eq!(remaining(&ports, alice.id).await, 0);
    assert!(!use_code(&ports, alice.id, "replaced-0", BASE).await);
}

pub async fn accept_step_accepts_only_a_later_step(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    confirmed(&ports, alice.id, "secret").await;

    assert!(accept(&ports, alice.id, 1_000).await, "the first step");
    assert!(
        !accept(&ports, alice.id, 1_000).await,
        "the same step again"
    );
    assert!(!accept(&ports, alice.id, 999).await, "an earlier step");
    assert!(accept(&ports, alice.id, 1_001).await, "the next step");
    assert!(
        accept(&ports, alice.id, 60_000_000).await,
        "a much later step"
    );
    assert_eq!(
        factor(&ports, alice.id).await.unwrap().last_used_step,
        Some(TotpStep(60_000_000))
    );
    // Step 0 is a step like any other for a fresh factor.
    let bob = create_user(&ports, "bob").await;
    confirmed(&ports, bob.id, "bob").await;
    assert!(accept(&ports, bob.id, 0).await);
    assert!(!accept(&ports, bob.id, 0).await);
}

pub async fn concurrent_acceptances_of_one_step_let_exactly_one_win(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    confirmed(&ports, alice.id, "secret").await;
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let factors = Arc::clone(&ports.second_factors);
            let start = Arc::clone(&start);
            let user = alice.id;
            tokio::spawn(async move {
                start.wait().await;
                factors
                    .accept_step(user, TotpStep(57_000_000))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() {
            winners += 1;
        }
    }

    assert_eq!(winners, 1);
    assert_eq!(
        factor(&ports, alice.id).await.unwrap().last_used_step,
        Some(TotpStep(57_000_000))
    );
}

pub async fn a_recovery_code_is_used_once_and_only_by_its_owner(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    confirmed(&ports, alice.id, "alice").await;
    confirmed(&ports, bob.id, "bob").await;

    assert!(
        !use_code(&ports, bob.id, "alice-3", BASE).await,
        "another's code"
    );
    assert!(!use_code(&ports, alice.id, "unknown", BASE).await);
    assert!(use_code(&ports, alice.id, "alice-3", at(TimeDelta::minutes(1))).await);
    assert!(!use_code(&ports, alice.id, "alice-3", at(TimeDelta::minutes(2))).await);
    assert_eq!(remaining(&ports, alice.id).await, 9);
    assert_eq!(remaining(&ports, bob.id).await, 10);

    for i in 0..10 {
        let used = use_code(&ports, alice.id, &format!("alice-{i}"), BASE).await;
        assert_eq!(used, i != 3, "code {i}");
    }
    assert_eq!(remaining(&ports, alice.id).await, 0);
}

pub async fn concurrent_uses_of_one_recovery_code_let_exactly_one_win(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    confirmed(&ports, alice.id, "alice").await;
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let factors = Arc::clone(&ports.second_factors);
            let start = Arc::clone(&start);
            let user = alice.id;
            tokio::spawn(async move {
                start.wait().await;
                factors
                    .use_recovery_code(user, &code_hash("alice-5"), BASE)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() {
            winners += 1;
        }
    }

    assert_eq!(winners, 1);
    assert_eq!(remaining(&ports, alice.id).await, 9);
}

pub async fn remove_deletes_the_factor_and_every_code(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    confirmed(&ports, alice.id, "alice").await;
    confirmed(&ports, bob.id, "bob").await;
    assert!(use_code(&ports, alice.id, "alice-0", BASE).await);

    assert!(ports.second_factors.remove(alice.id).await.unwrap());
    assert_eq!(factor(&ports, alice.id).await, None);
    assert_eq!(remaining(&ports, alice.id).await, 0);
    assert!(!use_code(&ports, alice.id, "alice-1", BASE).await);
    assert!(!ports.second_factors.remove(alice.id).await.unwrap());
    // Bob keeps his.
    assert!(factor(&ports, bob.id).await.is_some());
    assert_eq!(remaining(&ports, bob.id).await, 10);

    // A new enrolment starts from nothing; the old hashes are free again.
    assert!(save_pending(&ports, alice.id, "alice", at(TimeDelta::hours(1))).await);
    assert!(accept(&ports, alice.id, 1).await, "no last step survives");
    assert!(confirm(&ports, alice.id, "alice", codes("alice"), BASE).await);
    assert_eq!(remaining(&ports, alice.id).await, 10);
}

pub async fn a_pending_factor_is_removed_too(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    assert!(save_pending(&ports, alice.id, "pending", BASE).await);
    assert!(ports.second_factors.remove(alice.id).await.unwrap());
    assert_eq!(factor(&ports, alice.id).await, None);
}

pub async fn reseal_replaces_the_secret_only_if_it_is_still_the_old_one(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    confirmed(&ports, alice.id, "old").await;
    assert!(accept(&ports, alice.id, 42).await);

    assert!(
        !ports
            .second_factors
            .reseal(alice.id, &sealed("stale"), sealed("new"))
            .await
            .unwrap()
    );
    assert_eq!(
        factor(&ports, alice.id).await.unwrap().sealed,
        sealed("old")
    );

    assert!(
        ports
            .second_factors
            .reseal(alice.id, &sealed("old"), sealed("new"))
            .await
            .unwrap()
    );
    assert_eq!(
        factor(&ports, alice.id).await,
        Some(StoredFactor {
            sealed: sealed("new"),
            confirmed_at: Some(BASE),
            last_used_step: Some(TotpStep(42)),
        })
    );
    assert_eq!(remaining(&ports, alice.id).await, 10);
    // The second of two reseals from one old value finds it gone.
    assert!(
        !ports
            .second_factors
            .reseal(alice.id, &sealed("old"), sealed("newer"))
            .await
            .unwrap()
    );
}

pub async fn deleting_a_user_deletes_their_factor_and_codes(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    confirmed(&ports, alice.id, "shared").await;

    assert!(ports.users.delete(alice.id).await.unwrap());

    assert_eq!(factor(&ports, alice.id).await, None);
    assert_eq!(remaining(&ports, alice.id).await, 0);
    // The code hashes are free again: the rows are gone.
    let bob = create_user(&ports, "bob").await;
    confirmed(&ports, bob.id, "shared").await;
    assert_eq!(remaining(&ports, bob.id).await, 10);
}
