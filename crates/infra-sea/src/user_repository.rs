//! [`UserRepository`] on SeaORM.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::UserRepository;
use domain::{
    NewUser, Page, PageRequest, PasswordHash, RepositoryError, User, UserChanges, UserId,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::user::{self, HashedPassword};
use crate::entity::user_count;
use crate::error::db_error;

/// Users in the `users` table. Uniqueness of email and username (ignoring
/// case) is left to the table's unique indexes, so racing writes are safe.
#[derive(Clone)]
pub struct SeaUserRepository {
    db: DatabaseConnection,
}

impl SeaUserRepository {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// `lower(column) = lower(value)`: the shape of the expression indexes, so
/// PostgreSQL uses them.
fn lower_equals(column: user::Column, value: &str) -> Condition {
    Condition::all().add(Expr::expr(Func::lower(Expr::col(column))).eq(Func::lower(value)))
}

#[async_trait]
impl UserRepository for SeaUserRepository {
    async fn create(&self, new: NewUser) -> Result<User, RepositoryError> {
        let row = user::ActiveModel {
            email: Set(new.email.as_str().to_owned()),
            username: Set(new.username.as_str().to_owned()),
            full_name: Set(new.full_name.as_str().to_owned()),
            hashed_password: Set(HashedPassword(new.password_hash.into_inner())),
            is_active: Set(new.is_active),
            is_admin: Set(new.is_admin),
            created_at: Set(new.created_at),
            updated_at: Set(new.created_at),
            ..Default::default()
        };
        let inserted = user::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("inserting a user"))?;
        Ok(inserted.into())
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        let row = user::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(db_error("loading a user by id"))?;
        Ok(row.map(User::from))
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<User>, RepositoryError> {
        // A username cannot contain '@' and an email must, so at most one row
        // matches; the order only makes the answer deterministic regardless.
        let row = user::Entity::find()
            .filter(
                Condition::any()
                    .add(lower_equals(user::Column::Username, login))
                    .add(lower_equals(user::Column::Email, login)),
            )
            .order_by_asc(user::Column::Id)
            .one(&self.db)
            .await
            .map_err(db_error("loading a user by login name"))?;
        Ok(row.map(User::from))
    }

    async fn list(&self, page: PageRequest) -> Result<Page<User>, RepositoryError> {
        // The number of users, from the counter the database keeps
        // (`user_count`, one row): it does not grow with the table.
        let total = user_count::Entity::find()
            .select_only()
            .column(user_count::Column::Total)
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(db_error("reading the user counter"))?
            .map_or(0, |total| u64::try_from(total).unwrap_or_default());
        let rows = user::Entity::find()
            .order_by_asc(user::Column::Id)
            .offset(page.offset())
            .limit(page.page_size())
            .all(&self.db)
            .await
            .map_err(db_error("listing users"))?;
        Ok(Page {
            items: rows.into_iter().map(User::from).collect(),
            total,
            request: page,
        })
    }

    async fn update(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<User>, RepositoryError> {
        let patch = changes.patch;
        let mut row = user::ActiveModel {
            updated_at: Set(changes.updated_at),
            ..Default::default()
        };
        if let Some(email) = patch.email {
            row.email = Set(email.as_str().to_owned());
        }
        if let Some(username) = patch.username {
            row.username = Set(username.as_str().to_owned());
        }
        if let Some(full_name) = patch.full_name {
            row.full_name = Set(full_name.as_str().to_owned());
        }
        if let Some(is_active) = patch.is_active {
            row.is_active = Set(is_active);
        }
        if let Some(is_admin) = patch.is_admin {
            row.is_admin = Set(is_admin);
        }
        // One UPDATE ... RETURNING: no row back means no such user.
        let updated = user::Entity::update_many()
            .set(row)
            .filter(user::Column::Id.eq(id.0))
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("updating a user"))?;
        Ok(updated.into_iter().next().map(User::from))
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let row = user::ActiveModel {
            hashed_password: Set(HashedPassword(password_hash.into_inner())),
            updated_at: Set(updated_at),
            ..Default::default()
        };
        let result = user::Entity::update_many()
            .set(row)
            .filter(user::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_error("replacing a user's password hash"))?;
        Ok(result.rows_affected > 0)
    }

    async fn delete(&self, id: UserId) -> Result<bool, RepositoryError> {
        // Todos, sessions and their refresh tokens go with the user through
        // ON DELETE CASCADE.
        let result = user::Entity::delete_by_id(id.0)
            .exec(&self.db)
            .await
            .map_err(db_error("deleting a user"))?;
        Ok(result.rows_affected > 0)
    }
}
