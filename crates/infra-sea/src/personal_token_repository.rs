//! [`PersonalTokenRepository`] on SeaORM: personal access tokens by the
//! hash of their secret, found through the unique index on `token_hash`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::PersonalTokenRepository;
use domain::{
    NewPersonalToken, PersonalToken, PersonalTokenHash, PersonalTokenId, RepositoryError, User,
    UserId,
};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::entity::personal_access_token::{self as pat, StoredPatHash, stored_scopes};
use crate::entity::user;
use crate::error::db_error;

/// Personal access tokens in `personal_access_tokens`.
#[derive(Clone)]
pub struct SeaPersonalTokens {
    db: DatabaseConnection,
}

impl SeaPersonalTokens {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Not revoked, and not expired at `now`.
fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all().add(pat::Column::RevokedAt.is_null()).add(
        Condition::any()
            .add(pat::Column::ExpiresAt.is_null())
            .add(pat::Column::ExpiresAt.gt(now)),
    )
}

/// `EXISTS (SELECT 1 FROM personal_access_tokens JOIN users ...)`: the
/// token is `user`'s, live at `at`, and the user is active: the rule of
/// [`PersonalTokenRepository::holds`], as a condition another statement
/// (a todo's) proves along with its work, like the session check.
pub(crate) fn personal_token_holds(
    user: UserId,
    token: PersonalTokenId,
    at: DateTime<Utc>,
) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(pat::Entity)
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((pat::Entity, pat::Column::UserId)),
            )
            .and_where(pat::Column::Id.eq(token.0))
            .and_where(pat::Column::UserId.eq(user.0))
            .and_where(user::Column::IsActive.eq(true))
            .cond_where(live_at(at))
            .to_owned(),
    )
}

#[async_trait]
impl PersonalTokenRepository for SeaPersonalTokens {
    async fn create(&self, new: NewPersonalToken) -> Result<PersonalToken, RepositoryError> {
        let row = pat::ActiveModel {
            user_id: Set(new.user_id.0),
            name: Set(new.name.as_str().to_owned()),
            token_hash: Set(StoredPatHash(new.hash.as_str().to_owned())),
            scopes: Set(stored_scopes(new.scopes)),
            created_at: Set(new.created_at),
            expires_at: Set(new.expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        };
        let inserted = pat::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("inserting a personal access token"))?;
        PersonalToken::try_from(inserted)
    }

    async fn list(&self, user: UserId) -> Result<Vec<PersonalToken>, RepositoryError> {
        pat::Entity::find()
            .filter(pat::Column::UserId.eq(user.0))
            .filter(pat::Column::RevokedAt.is_null())
            .order_by_desc(pat::Column::CreatedAt)
            .order_by_desc(pat::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error("listing a user's personal access tokens"))?
            .into_iter()
            .map(PersonalToken::try_from)
            .collect()
    }

    async fn find_live(
        &self,
        hash: &PersonalTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<(PersonalToken, User)>, RepositoryError> {
        let found = pat::Entity::find()
            .find_also_related(user::Entity)
            .filter(pat::Column::TokenHash.eq(hash.as_str()))
            .filter(live_at(now))
            .filter(user::Column::IsActive.eq(true))
            .one(&self.db)
            .await
            .map_err(db_error("loading a personal access token with its user"))?;
        match found {
            Some((token, Some(owner))) => Ok(Some((token.try_into()?, User::from(owner)))),
            _ => Ok(None),
        }
    }

    async fn holds(
        &self,
        user: UserId,
        token: PersonalTokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let found = pat::Entity::find()
            .select_only()
            .column(pat::Column::Id)
            .join(JoinType::InnerJoin, pat::Relation::User.def())
            .filter(pat::Column::Id.eq(token.0))
            .filter(pat::Column::UserId.eq(user.0))
            .filter(user::Column::IsActive.eq(true))
            .filter(live_at(now))
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(db_error("checking a personal access token"))?;
        Ok(found.is_some())
    }

    async fn touch(
        &self,
        token: PersonalTokenId,
        now: DateTime<Utc>,
        not_since: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let result = pat::Entity::update_many()
            .col_expr(pat::Column::LastUsedAt, Expr::value(now))
            .filter(pat::Column::Id.eq(token.0))
            .filter(
                Condition::any()
                    .add(pat::Column::LastUsedAt.is_null())
                    .add(pat::Column::LastUsedAt.lt(not_since)),
            )
            .exec(&self.db)
            .await
            .map_err(db_error("recording the use of a personal access token"))?;
        Ok(result.rows_affected > 0)
    }

    async fn revoke(
        &self,
        user: UserId,
        token: PersonalTokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let result = pat::Entity::update_many()
            .col_expr(pat::Column::RevokedAt, Expr::value(now))
            .filter(pat::Column::Id.eq(token.0))
            .filter(pat::Column::UserId.eq(user.0))
            .filter(pat::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_error("revoking a personal access token"))?;
        Ok(result.rows_affected > 0)
    }

    async fn revoke_all(&self, user: UserId, now: DateTime<Utc>) -> Result<u64, RepositoryError> {
        let result = pat::Entity::update_many()
            .col_expr(pat::Column::RevokedAt, Expr::value(now))
            .filter(pat::Column::UserId.eq(user.0))
            .filter(pat::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_error("revoking a user's personal access tokens"))?;
        Ok(result.rows_affected)
    }
}
