//! [`SecondFactorRepository`] on SeaORM: `totp_factors` and
//! `recovery_codes`.
//!
//! **One winner.** Every conditional write is one statement whose `WHERE`
//! holds the condition: a step is accepted by `UPDATE totp_factors SET
//! last_used_step = step WHERE user_id = ? AND (last_used_step IS NULL OR
//! last_used_step < step)`, a code used by `UPDATE recovery_codes SET
//! used_at = ? WHERE ... AND used_at IS NULL`, a reseal by `UPDATE ... WHERE
//! sealed_secret = old`. On PostgreSQL concurrent updates of one row queue
//! on its row lock and each re-checks the `WHERE` against the winner's
//! committed row (READ COMMITTED), so the losers update nothing; SQLite
//! serialises writers. "Did this call win" is "did it update a row".
//!
//! A pending factor is saved by one `INSERT ... ON CONFLICT (user_id) DO
//! UPDATE ... WHERE totp_factors.confirmed_at IS NULL`: it replaces a
//! pending factor and leaves a confirmed one alone (no row affected).
//! Confirming (the factor, then its codes) and removing (the codes, then
//! the factor) are transactions.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::SecondFactorRepository;
use domain::{RecoveryCodeHash, RepositoryError, SealedSecret, StoredFactor, TotpStep, UserId};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use crate::entity::recovery_code::{self, StoredCodeHash};
use crate::entity::totp_factor::{self, StoredSealedSecret};
use crate::error::db_error;
use crate::write_transaction::begin_write;

/// TOTP factors in `totp_factors`, recovery codes in `recovery_codes`.
#[derive(Clone)]
pub struct SeaSecondFactors {
    db: DatabaseConnection,
}

impl SeaSecondFactors {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// `step` as the `BIGINT` column keeps it.
fn stored_step(step: TotpStep) -> Result<i64, RepositoryError> {
    i64::try_from(step.0).map_err(|_| {
        RepositoryError::Unexpected(anyhow!("a TOTP step beyond the BIGINT column's range"))
    })
}

#[async_trait]
impl SecondFactorRepository for SeaSecondFactors {
    async fn save_pending(
        &self,
        user: UserId,
        sealed: SealedSecret,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let row = totp_factor::ActiveModel {
            user_id: Set(user.0),
            sealed_secret: Set(StoredSealedSecret(sealed.into_bytes())),
            confirmed_at: Set(None),
            last_used_step: Set(None),
            created_at: Set(at),
        };
        let saved = totp_factor::Entity::insert(row)
            .on_conflict(
                OnConflict::column(totp_factor::Column::UserId)
                    .update_columns([
                        totp_factor::Column::SealedSecret,
                        totp_factor::Column::ConfirmedAt,
                        totp_factor::Column::LastUsedStep,
                        totp_factor::Column::CreatedAt,
                    ])
                    .action_and_where(
                        Expr::col((totp_factor::Entity, totp_factor::Column::ConfirmedAt))
                            .is_null(),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error("saving a pending TOTP factor"))?;
        Ok(saved > 0)
    }

    async fn find(&self, user: UserId) -> Result<Option<StoredFactor>, RepositoryError> {
        let row = totp_factor::Entity::find_by_id(user.0)
            .one(&self.db)
            .await
            .map_err(db_error("loading a TOTP factor"))?;
        row.map(|row| {
            row.into_factor().ok_or_else(|| {
                RepositoryError::Unexpected(anyhow!("a TOTP factor with a negative last step"))
            })
        })
        .transpose()
    }

    async fn confirm(
        &self,
        user: UserId,
        sealed: &SealedSecret,
        codes: Vec<RecoveryCodeHash>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to confirm a TOTP factor"))?;
        let confirmed = totp_factor::Entity::update_many()
            .col_expr(totp_factor::Column::ConfirmedAt, Expr::value(at))
            .filter(totp_factor::Column::UserId.eq(user.0))
            .filter(totp_factor::Column::ConfirmedAt.is_null())
            .filter(totp_factor::Column::SealedSecret.eq(sealed.as_bytes().to_vec()))
            .exec(&txn)
            .await
            .map_err(db_error("confirming a TOTP factor"))?;
        if confirmed.rows_affected == 0 {
            txn.rollback()
                .await
                .map_err(db_error("ending the confirmation of no pending factor"))?;
            return Ok(false);
        }
        if !codes.is_empty() {
            let rows = codes.into_iter().map(|code| recovery_code::ActiveModel {
                user_id: Set(user.0),
                code_hash: Set(StoredCodeHash(code.as_str().to_owned())),
                used_at: Set(None),
                created_at: Set(at),
                ..Default::default()
            });
            recovery_code::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(db_error("storing the recovery codes of a TOTP factor"))?;
        }
        txn.commit()
            .await
            .map_err(db_error("committing a TOTP factor's confirmation"))?;
        Ok(true)
    }

    async fn accept_step(&self, user: UserId, step: TotpStep) -> Result<bool, RepositoryError> {
        let step = stored_step(step)?;
        let accepted = totp_factor::Entity::update_many()
            .col_expr(totp_factor::Column::LastUsedStep, Expr::value(step))
            .filter(totp_factor::Column::UserId.eq(user.0))
            .filter(
                Condition::any()
                    .add(totp_factor::Column::LastUsedStep.is_null())
                    .add(totp_factor::Column::LastUsedStep.lt(step)),
            )
            .exec(&self.db)
            .await
            .map_err(db_error("accepting a TOTP step"))?;
        Ok(accepted.rows_affected > 0)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &RecoveryCodeHash,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let used = recovery_code::Entity::update_many()
            .col_expr(recovery_code::Column::UsedAt, Expr::value(at))
            .filter(recovery_code::Column::UserId.eq(user.0))
            .filter(recovery_code::Column::CodeHash.eq(hash.as_str()))
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_error("using a recovery code"))?;
        Ok(used.rows_affected > 0)
    }

    async fn remaining_recovery_codes(&self, user: UserId) -> Result<u64, RepositoryError> {
        recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user.0))
            .filter(recovery_code::Column::UsedAt.is_null())
            .count(&self.db)
            .await
            .map_err(db_error("counting the unused recovery codes"))
    }

    async fn remove(&self, user: UserId) -> Result<bool, RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to remove a TOTP factor"))?;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(user.0))
            .exec(&txn)
            .await
            .map_err(db_error("deleting a user's recovery codes"))?;
        let removed = totp_factor::Entity::delete_many()
            .filter(totp_factor::Column::UserId.eq(user.0))
            .exec(&txn)
            .await
            .map_err(db_error("deleting a TOTP factor"))?;
        txn.commit()
            .await
            .map_err(db_error("committing a TOTP factor's removal"))?;
        Ok(removed.rows_affected > 0)
    }

    async fn reseal(
        &self,
        user: UserId,
        old: &SealedSecret,
        new: SealedSecret,
    ) -> Result<bool, RepositoryError> {
        let resealed = totp_factor::Entity::update_many()
            .col_expr(
                totp_factor::Column::SealedSecret,
                Expr::value(new.into_bytes()),
            )
            .filter(totp_factor::Column::UserId.eq(user.0))
            .filter(totp_factor::Column::SealedSecret.eq(old.as_bytes().to_vec()))
            .exec(&self.db)
            .await
            .map_err(db_error("resealing a TOTP secret"))?;
        Ok(resealed.rows_affected > 0)
    }
}
