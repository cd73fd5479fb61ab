//! [`AccountTokenRepository`] on SeaORM: `account_tokens`, with the mail
//! each write queues in `outbox` in the same transaction.
//!
//! **Lock order.** On PostgreSQL every write of more than one statement
//! first locks the token's user row (`FOR NO KEY UPDATE`, which the users'
//! foreign-key checks, `FOR KEY SHARE`, do not wait for), then its tokens,
//! then its sessions. So writes for one user queue on that one row and
//! never deadlock on each other's tokens, and the second of two concurrent
//! [`issue`](AccountTokenRepository::issue)s, starting its statements after
//! the first committed, sees and revokes the first one's token. On SQLite
//! `BEGIN IMMEDIATE` serialises every writer anyway.
//!
//! **One winner.** A redemption marks its token used by one conditional
//! `UPDATE ... WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND
//! expires_at > now`; zero rows means the token was no longer live, and the
//! transaction is rolled back having written nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::AccountTokenRepository;
use domain::{
    AccountTokenHash, AccountTokenId, AccountTokenKind, LiveAccountToken, MailMessage,
    NewAccountToken, PasswordHash, RepositoryError, User, UserId, fold_case,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
};

use crate::entity::account_token::{self, StoredTokenHash};
use crate::entity::session;
use crate::entity::user::{self, HashedPassword};
use crate::error::db_error;
use crate::outbox::queue;
use crate::write_transaction::begin_write;

/// PostgreSQL: locks the user of token `$1`, and names it.
const TOKEN_USER_POSTGRES: &str = "SELECT users.id AS user_id FROM users \
     JOIN account_tokens ON account_tokens.user_id = users.id \
     WHERE account_tokens.id = $1 \
     FOR NO KEY UPDATE OF users";
/// SQLite: names the user of token `?1` (the transaction holds the write
/// lock already).
const TOKEN_USER_SQLITE: &str = "SELECT user_id FROM account_tokens WHERE id = ?1";

/// PostgreSQL: locks user `$1`.
const LOCK_USER_POSTGRES: &str = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE";

/// Account tokens in `account_tokens`.
#[derive(Clone)]
pub struct SeaAccountTokens {
    db: DatabaseConnection,
}

impl SeaAccountTokens {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Neither used nor revoked, and expiring after `now`.
fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(account_token::Column::UsedAt.is_null())
        .add(account_token::Column::RevokedAt.is_null())
        .add(account_token::Column::ExpiresAt.gt(now))
}

/// Revokes at `now` the live tokens of `user` of `kind`, but `except`.
async fn revoke_live<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    kind: AccountTokenKind,
    except: Option<AccountTokenId>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = account_token::Entity::update_many()
        .col_expr(account_token::Column::RevokedAt, Expr::value(now))
        .filter(account_token::Column::UserId.eq(user.0))
        .filter(account_token::Column::Kind.eq(kind.as_str()))
        .filter(live_at(now));
    if let Some(except) = except {
        update = update.filter(account_token::Column::Id.ne(except.0));
    }
    Ok(update.exec(conn).await?.rows_affected)
}

/// PostgreSQL: locks the row of `user` for this transaction (see the
/// module docs). SQLite: nothing to do.
async fn lock_user(txn: &DatabaseTransaction, user: UserId) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            LOCK_USER_POSTGRES,
            [user.0.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The user of `token` (on PostgreSQL, locked), if the token exists.
async fn token_user(
    txn: &DatabaseTransaction,
    token: AccountTokenId,
) -> Result<Option<UserId>, DbErr> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => TOKEN_USER_POSTGRES,
        _ => TOKEN_USER_SQLITE,
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [token.0.into()],
        ))
        .await?;
    row.map(|row| row.try_get::<i64>("", "user_id").map(UserId))
        .transpose()
}

/// Marks the `kind` token `token` used at `now` if it is live then:
/// whether it was.
async fn spend(
    txn: &DatabaseTransaction,
    token: AccountTokenId,
    kind: AccountTokenKind,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let spent = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::Id.eq(token.0))
        .filter(account_token::Column::Kind.eq(kind.as_str()))
        .filter(live_at(now))
        .exec(txn)
        .await?;
    Ok(spent.rows_affected > 0)
}

/// The verification of token `token` at `now`, inside `txn`: the user as
/// verified, or `None` when the token is not live or its address is no
/// longer the user's (then nothing was written).
async fn verify(
    txn: &DatabaseTransaction,
    token: AccountTokenId,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbErr> {
    let Some(user_id) = token_user(txn, token).await? else {
        return Ok(None);
    };
    let address = account_token::Entity::find_by_id(token.0)
        .one(txn)
        .await?
        .map(|row| fold_case(&row.email));
    let current = user::Entity::find_by_id(user_id.0)
        .one(txn)
        .await?
        .map(|row| row.email_key);
    if address.is_none() || address != current {
        return Ok(None);
    }
    if !spend(txn, token, AccountTokenKind::EmailVerification, now).await? {
        return Ok(None);
    }
    let verified = user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .filter(user::Column::Id.eq(user_id.0))
        .exec_with_returning(txn)
        .await?;
    Ok(verified.into_iter().next().map(User::from))
}

#[async_trait]
impl AccountTokenRepository for SeaAccountTokens {
    async fn issue(
        &self,
        token: NewAccountToken,
        mail: MailMessage,
    ) -> Result<(), RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to issue an account token"))?;
        lock_user(&txn, token.user_id)
            .await
            .map_err(db_error("locking the user of a new account token"))?;
        revoke_live(&txn, token.user_id, token.kind, None, token.created_at)
            .await
            .map_err(db_error("revoking the live account tokens of a kind"))?;
        let row = account_token::ActiveModel {
            user_id: Set(token.user_id.0),
            kind: Set(token.kind.as_str().to_owned()),
            token_hash: Set(StoredTokenHash(token.hash.as_str().to_owned())),
            email: Set(token.email.as_str().to_owned()),
            created_at: Set(token.created_at),
            expires_at: Set(token.expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        };
        account_token::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(db_error("inserting an account token"))?;
        queue(&txn, mail, token.created_at)
            .await
            .map_err(db_error("queueing the mail of an account token"))?;
        txn.commit()
            .await
            .map_err(db_error("committing a new account token"))
    }

    async fn find_live(
        &self,
        hash: &AccountTokenHash,
        kind: AccountTokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveAccountToken>, RepositoryError> {
        let row = account_token::Entity::find()
            .filter(account_token::Column::TokenHash.eq(hash.as_str()))
            .filter(account_token::Column::Kind.eq(kind.as_str()))
            .filter(live_at(now))
            .one(&self.db)
            .await
            .map_err(db_error("loading an account token"))?;
        Ok(row.and_then(account_token::Model::into_live))
    }

    async fn redeem_password_reset(
        &self,
        token: AccountTokenId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
        notice: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to redeem a password-reset token"))?;
        let user = token_user(&txn, token)
            .await
            .map_err(db_error("locking the user of a password-reset token"))?;
        let spent = match user {
            Some(_) => spend(&txn, token, AccountTokenKind::PasswordReset, now)
                .await
                .map_err(db_error("spending a password-reset token"))?,
            None => false,
        };
        let Some(user) = user.filter(|_| spent) else {
            txn.rollback()
                .await
                .map_err(db_error("ending a redemption of a dead token"))?;
            return Ok(false);
        };
        let password = user::ActiveModel {
            hashed_password: Set(HashedPassword(password_hash.into_inner())),
            updated_at: Set(updated_at),
            ..Default::default()
        };
        user::Entity::update_many()
            .set(password)
            .filter(user::Column::Id.eq(user.0))
            .exec(&txn)
            .await
            .map_err(db_error("replacing a password hash by a reset"))?;
        revoke_live(
            &txn,
            user,
            AccountTokenKind::PasswordReset,
            Some(token),
            now,
        )
        .await
        .map_err(db_error("revoking the other password-reset tokens"))?;
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::UserId.eq(user.0))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(db_error("ending the sessions of a reset password"))?;
        queue(&txn, notice, now)
            .await
            .map_err(db_error("queueing the notice of a password reset"))?;
        txn.commit()
            .await
            .map_err(db_error("committing a password reset"))?;
        Ok(true)
    }

    async fn redeem_email_verification(
        &self,
        token: AccountTokenId,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to redeem a verification token"))?;
        // The user row is locked (PostgreSQL) before anything is read: a
        // change of address waits for this redemption, or this one sees it.
        let verified = verify(&txn, token, now)
            .await
            .map_err(db_error("redeeming a verification token"))?;
        match verified {
            Some(user) => {
                txn.commit()
                    .await
                    .map_err(db_error("committing an email verification"))?;
                Ok(Some(user))
            }
            None => {
                txn.rollback()
                    .await
                    .map_err(db_error("ending a verification with a dead token"))?;
                Ok(None)
            }
        }
    }

    async fn revoke_all(
        &self,
        user: UserId,
        kind: AccountTokenKind,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        revoke_live(&self.db, user, kind, None, now)
            .await
            .map_err(db_error("revoking a user's account tokens"))
    }
}
