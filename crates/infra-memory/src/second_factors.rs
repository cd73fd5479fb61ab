//! [`SecondFactorRepository`] in memory: the `totp_factors` and
//! `recovery_codes` tables. Every method checks and writes under the
//! store's one lock, so a confirmation stores the factor and its codes
//! together, and of concurrent conditional writes (a step accepted, a code
//! used, a reseal) exactly one finds its condition still true.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::SecondFactorRepository;
use domain::time::truncate;
use domain::{RecoveryCodeHash, RepositoryError, SealedSecret, StoredFactor, TotpStep, UserId};

use crate::MemoryStore;
use crate::state::{FactorRow, RecoveryCodeRow, bindable, take_id, unexpected};

pub(crate) struct MemorySecondFactors(pub(crate) MemoryStore);

/// `step` as the `BIGINT` column keeps it.
fn stored_step(step: TotpStep) -> Result<i64, RepositoryError> {
    i64::try_from(step.0)
        .map_err(|_| unexpected("totp_factors.last_used_step: bigint out of range"))
}

#[async_trait]
impl SecondFactorRepository for MemorySecondFactors {
    async fn save_pending(
        &self,
        user: UserId,
        sealed: SealedSecret,
        _at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.0.with_state(|state| {
            if !state.users.contains_key(&user.0) {
                return Err(unexpected(
                    "totp_factors: the user does not exist (foreign key totp_factors.user_id)",
                ));
            }
            if state
                .totp_factors
                .get(&user.0)
                .is_some_and(|factor| factor.confirmed_at.is_some())
            {
                return Ok(false);
            }
            state.totp_factors.insert(
                user.0,
                FactorRow {
                    sealed: sealed.into_bytes(),
                    confirmed_at: None,
                    last_used_step: None,
                },
            );
            Ok(true)
        })
    }

    async fn find(&self, user: UserId) -> Result<Option<StoredFactor>, RepositoryError> {
        self.0.with_state(|state| {
            state
                .totp_factors
                .get(&user.0)
                .map(|factor| {
                    let last_used_step = factor
                        .last_used_step
                        .map(|step| {
                            u64::try_from(step).map(TotpStep).map_err(|_| {
                                unexpected("totp_factors.last_used_step: a negative step")
                            })
                        })
                        .transpose()?;
                    Ok(StoredFactor {
                        sealed: SealedSecret::new(factor.sealed.clone()),
                        confirmed_at: factor.confirmed_at,
                        last_used_step,
                    })
                })
                .transpose()
        })
    }

    async fn confirm(
        &self,
        user: UserId,
        sealed: &SealedSecret,
        codes: Vec<RecoveryCodeHash>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let at = truncate(at);
        self.0.with_state(|state| {
            let pending = state.totp_factors.get(&user.0).is_some_and(|factor| {
                factor.confirmed_at.is_none() && factor.sealed == sealed.as_bytes()
            });
            if !pending {
                return Ok(false);
            }
            // Every check before the first change: text, and the unique hash.
            for (index, code) in codes.iter().enumerate() {
                bindable(code.as_str(), "recovery_codes.code_hash")?;
                let taken = state
                    .recovery_codes
                    .values()
                    .any(|row| row.hash == code.as_str())
                    || codes[..index].contains(code);
                if taken {
                    return Err(unexpected(
                        "recovery_codes: duplicate key value violates unique constraint \
                         \"recovery_codes_code_hash_key\"",
                    ));
                }
            }
            // Enough ids for every code, so no code is stored without the rest.
            let count = i64::try_from(codes.len()).unwrap_or(i64::MAX);
            if state.next_recovery_code.checked_add(count).is_none() {
                return Err(unexpected(
                    "recovery_codes: the identity column is exhausted",
                ));
            }
            for code in codes {
                let id = take_id(&mut state.next_recovery_code, "recovery_codes")?;
                state.recovery_codes.insert(
                    id,
                    RecoveryCodeRow {
                        user_id: user,
                        hash: code.as_str().to_owned(),
                        used_at: None,
                    },
                );
            }
            if let Some(factor) = state.totp_factors.get_mut(&user.0) {
                factor.confirmed_at = Some(at);
            }
            Ok(true)
        })
    }

    async fn accept_step(&self, user: UserId, step: TotpStep) -> Result<bool, RepositoryError> {
        let step = stored_step(step)?;
        self.0.with_state(|state| {
            let Some(factor) = state.totp_factors.get_mut(&user.0) else {
                return Ok(false);
            };
            if factor.last_used_step.is_some_and(|last| last >= step) {
                return Ok(false);
            }
            factor.last_used_step = Some(step);
            Ok(true)
        })
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &RecoveryCodeHash,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let at = truncate(at);
        self.0.with_state(|state| {
            bindable(hash.as_str(), "recovery_codes.code_hash")?;
            let code = state.recovery_codes.values_mut().find(|row| {
                row.user_id == user && row.hash == hash.as_str() && row.used_at.is_none()
            });
            Ok(code.map(|row| row.used_at = Some(at)).is_some())
        })
    }

    async fn remaining_recovery_codes(&self, user: UserId) -> Result<u64, RepositoryError> {
        self.0.with_state(|state| {
            let remaining = state
                .recovery_codes
                .values()
                .filter(|row| row.user_id == user && row.used_at.is_none())
                .count();
            Ok(u64::try_from(remaining).unwrap_or(u64::MAX))
        })
    }

    async fn remove(&self, user: UserId) -> Result<bool, RepositoryError> {
        self.0.with_state(|state| {
            let removed = state.totp_factors.remove(&user.0).is_some();
            state.recovery_codes.retain(|_, row| row.user_id != user);
            Ok(removed)
        })
    }

    async fn reseal(
        &self,
        user: UserId,
        old: &SealedSecret,
        new: SealedSecret,
    ) -> Result<bool, RepositoryError> {
        self.0
            .with_state(|state| match state.totp_factors.get_mut(&user.0) {
                Some(factor) if factor.sealed == old.as_bytes() => {
                    factor.sealed = new.into_bytes();
                    Ok(true)
                }
                _ => Ok(false),
            })
    }
}
