//! [`SessionRepository`] on SeaORM: sessions and the hashes of their refresh
//! tokens.
//!
//! Rotation is one conditional `UPDATE` (`... AND spent_at IS NULL`) whose
//! row count decides the winner: on PostgreSQL a concurrent rotation waits
//! for the row lock and then finds the token spent; on SQLite writers are
//! serialised by `BEGIN IMMEDIATE`. Either way exactly one caller spends a
//! token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::SessionRepository;
use domain::{
    NewSession, RefreshTokenHash, RepositoryError, Session, SessionId, StoredRefreshToken, User,
    UserId,
};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, Statement, Value,
};

use crate::cached_sql::CachedSql;
use crate::entity::refresh_token::{self, TokenHash};
use crate::entity::{session, user};
use crate::error::db_error;
use crate::storable_text::storable;
use crate::write_transaction::begin_write;

/// The widths of `sessions.user_agent` and `sessions.ip`.
const USER_AGENT_CHARS: usize = 512;
const IP_CHARS: usize = 64;

/// Sessions in `sessions`, refresh-token hashes in `refresh_tokens`.
#[derive(Clone)]
pub struct SeaSessionRepository {
    db: DatabaseConnection,
}

impl SeaSessionRepository {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Neither revoked nor expired at `now`.
fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(session::Column::RevokedAt.is_null())
        .add(session::Column::ExpiresAt.gt(now))
}

/// `EXISTS (SELECT 1 FROM sessions JOIN users ...)`: `session` is
/// `user`'s, live at `at`, and the user is active; the same rule as
/// [`authenticated_user`], as a condition another statement (a todo's
/// SELECT, INSERT ... SELECT, UPDATE or DELETE) proves along with its work
/// (through [`crate::credential_check`]). It does not depend on the outer
/// row, so PostgreSQL evaluates it once per statement (an InitPlan), by the
/// two primary keys.
pub(crate) fn session_holds(user: UserId, session: SessionId, at: DateTime<Utc>) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(session::Entity)
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((session::Entity, session::Column::UserId)),
            )
            .and_where(session::Column::Id.eq(session.0))
            .and_where(session::Column::UserId.eq(user.0))
            .and_where(user::Column::IsActive.eq(true))
            .cond_where(live_at(at))
            .to_owned(),
    )
}

/// The values of [`session_holds`], in the order its SQL binds them (for
/// statements whose text is cached, [`CachedSql`]).
pub(crate) fn session_holds_values(
    user: UserId,
    session: SessionId,
    at: DateTime<Utc>,
) -> [Value; 5] {
    [
        Value::from(1_i32),
        Value::from(session.0),
        Value::from(user.0),
        Value::from(true),
        Value::from(at),
    ]
}

/// [`authenticated_user`] with its text built once ([`CachedSql`]), with
/// the `LIMIT 1` of `.one()`.
fn authenticated_user_statement(
    backend: DbBackend,
    user: UserId,
    session: SessionId,
    now: DateTime<Utc>,
) -> Statement {
    static SQL: CachedSql = CachedSql::new();
    let values = vec![
        Value::from(user.0),
        Value::from(session.0),
        Value::from(true),
        Value::from(now),
        Value::from(1_u64),
    ];
    SQL.statement(
        backend,
        |backend| {
            authenticated_user(user, session, now)
                .limit(1)
                .build(backend)
        },
        values,
    )
}

/// The user of a live session, if active. Runs on every authenticated
/// request: one query, both rows found by primary key.
fn authenticated_user(
    user: UserId,
    session: SessionId,
    now: DateTime<Utc>,
) -> Select<user::Entity> {
    user::Entity::find()
        .join(JoinType::InnerJoin, user::Relation::Session.def())
        .filter(user::Column::Id.eq(user.0))
        .filter(session::Column::Id.eq(session.0))
        .filter(user::Column::IsActive.eq(true))
        .filter(live_at(now))
}

fn token_row(
    hash: &RefreshTokenHash,
    session: i64,
    created_at: DateTime<Utc>,
) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        token_hash: Set(TokenHash(hash.as_str().to_owned())),
        session_id: Set(session),
        created_at: Set(created_at),
        spent_at: Set(None),
    }
}

#[async_trait]
impl SessionRepository for SeaSessionRepository {
    async fn create(&self, new: NewSession) -> Result<Session, RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to create a session"))?;
        let row = session::ActiveModel {
            user_id: Set(new.user_id.0),
            created_at: Set(new.created_at),
            last_used_at: Set(new.created_at),
            expires_at: Set(new.expires_at),
            revoked_at: Set(None),
            user_agent: Set(new
                .client
                .user_agent
                .as_deref()
                .map(|ua| storable(ua, USER_AGENT_CHARS))),
            ip: Set(new.client.ip.as_deref().map(|ip| storable(ip, IP_CHARS))),
            ..Default::default()
        };
        let inserted = session::Entity::insert(row)
            .exec_with_returning(&txn)
            .await
            .map_err(db_error("inserting a session"))?;
        refresh_token::Entity::insert(token_row(&new.first_token, inserted.id, new.created_at))
            .exec_without_returning(&txn)
            .await
            .map_err(db_error("inserting a session's first refresh token"))?;
        txn.commit()
            .await
            .map_err(db_error("committing a new session"))?;
        Ok(inserted.into())
    }

    async fn find_refresh_token(
        &self,
        hash: &RefreshTokenHash,
    ) -> Result<Option<StoredRefreshToken>, RepositoryError> {
        let found = refresh_token::Entity::find_by_id(TokenHash(hash.as_str().to_owned()))
            .find_also_related(session::Entity)
            .one(&self.db)
            .await
            .map_err(db_error("loading a refresh token with its session"))?;
        // The foreign key makes a token without its session impossible.
        Ok(found.and_then(|(token, session)| {
            session.map(|session| StoredRefreshToken {
                session: session.into(),
                spent_at: token.spent_at,
            })
        }))
    }

    async fn rotate(
        &self,
        session: SessionId,
        presented: &RefreshTokenHash,
        successor: &RefreshTokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let txn = begin_write(&self.db)
            .await
            .map_err(db_error("starting to rotate a refresh token"))?;
        // The check and the write in one statement: of racing rotations,
        // only the first to take the row lock finds `spent_at` still NULL.
        let spent = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::SpentAt, Expr::value(now))
            .filter(refresh_token::Column::TokenHash.eq(presented.as_str()))
            .filter(refresh_token::Column::SessionId.eq(session.0))
            .filter(refresh_token::Column::SpentAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_error("spending a refresh token"))?;
        if spent.rows_affected == 0 {
            txn.rollback()
                .await
                .map_err(db_error("ending a lost refresh-token rotation"))?;
            return Ok(false);
        }
        refresh_token::Entity::insert(token_row(successor, session.0, now))
            .exec_without_returning(&txn)
            .await
            .map_err(db_error("inserting a successor refresh token"))?;
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .filter(session::Column::Id.eq(session.0))
            .exec(&txn)
            .await
            .map_err(db_error("marking a session as used"))?;
        txn.commit()
            .await
            .map_err(db_error("committing a refresh-token rotation"))?;
        Ok(true)
    }

    async fn revoke(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let result = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::Id.eq(session.0))
            .filter(session::Column::UserId.eq(user.0))
            .filter(live_at(now))
            .exec(&self.db)
            .await
            .map_err(db_error("revoking a session"))?;
        Ok(result.rows_affected > 0)
    }

    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let mut update = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::UserId.eq(user.0))
            .filter(live_at(now));
        if let Some(keep) = keep {
            update = update.filter(session::Column::Id.ne(keep.0));
        }
        let result = update
            .exec(&self.db)
            .await
            .map_err(db_error("revoking a user's sessions"))?;
        Ok(result.rows_affected)
    }

    async fn list_active(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, RepositoryError> {
        let rows = session::Entity::find()
            .filter(session::Column::UserId.eq(user.0))
            .filter(live_at(now))
            .order_by_desc(session::Column::CreatedAt)
            .order_by_desc(session::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error("listing a user's sessions"))?;
        Ok(rows.into_iter().map(Session::from).collect())
    }

    async fn find_authenticated(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError> {
        let statement =
            authenticated_user_statement(self.db.get_database_backend(), user, session, now);
        let row = user::Entity::find()
            .from_raw_sql(statement)
            .one(&self.db)
            .await
            .map_err(db_error("loading the user of a session"))?;
        Ok(row.map(User::from))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;

    #[test]
    fn the_cached_authentication_statement_is_the_built_one() {
        let inputs = [
            (UserId(3), SessionId(11), domain::time::SystemClock::now()),
            (UserId(i64::MAX), SessionId(1), chrono::DateTime::UNIX_EPOCH),
        ];
        for (user, session, now) in inputs {
            crate::cached_sql::tests::assert_same_statement(
                |backend| authenticated_user_statement(backend, user, session, now),
                |backend| {
                    authenticated_user(user, session, now)
                        .limit(1)
                        .build(backend)
                },
            );
        }
    }

    #[test]
    fn authentication_is_one_join_on_both_primary_keys() {
        let now = domain::time::SystemClock::now();
        let sql = authenticated_user(UserId(1), SessionId(2), now)
            .build(DbBackend::Postgres)
            .to_string();

        assert!(
            sql.starts_with(r#"SELECT "users"."id", "users"."email""#),
            "{sql}"
        );
        assert!(
            sql.contains(
                r#"FROM "users" INNER JOIN "sessions" ON "users"."id" = "sessions"."user_id""#
            ),
            "{sql}"
        );
        for condition in [
            r#""users"."id" = 1"#,
            r#""sessions"."id" = 2"#,
            r#""users"."is_active" = TRUE"#,
            r#""sessions"."revoked_at" IS NULL"#,
            r#""sessions"."expires_at" > "#,
        ] {
            assert!(sql.contains(condition), "{condition} missing from {sql}");
        }
    }
}
