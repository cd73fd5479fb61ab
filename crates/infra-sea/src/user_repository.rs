//! [`UserRepository`] on SeaORM.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::UserRepository;
use domain::{
    ConflictField, NewUser, Page, PasswordHash, RepositoryError, User, UserChanges, UserId, Window,
    fold_case,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::user::{self, HashedPassword};
use crate::entity::user_count;
use crate::error::db_error;
use crate::page_sql::paged;

/// Users in the `users` table. Uniqueness of email and username (ignoring
/// case) is left to the table's unique indexes, so racing writes are safe.
///
/// "Ignoring case" is `domain::fold_case`, computed here and stored with
/// the row (`email_key`, `username_key`; every write of an email or a
/// username writes its key), never SQL `lower()`: SQLite's folds ASCII only
/// and PostgreSQL's depends on the database's locale.
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

impl SeaUserRepository {
    /// The port's rule for a row colliding on both email and username:
    /// [`ConflictField::Email`]. Which unique index a database reports first
    /// is its own business: PostgreSQL checks them in the order of their
    /// OIDs (creation order, email first), SQLite in reverse creation order
    /// (each new index goes to the front of the table's list; verified by
    /// `tests/user_repository.rs`), so SQLite reports the username. Rather
    /// than rely on either order (index creation order is fragile: a
    /// rebuilt index, a restored dump, a future migration), a username
    /// conflict of a write that also wrote `email_key` is followed by one
    /// look for another row holding that email key; only then, and only on
    /// that already failed path, is there a second statement. A row that
    /// changed in between makes the answer the other true conflict, never a
    /// wrong one.
    async fn email_first(
        &self,
        error: RepositoryError,
        email_key: Option<&str>,
        except: Option<i64>,
    ) -> RepositoryError {
        let Some(email_key) = email_key else {
            return error;
        };
        if !matches!(error, RepositoryError::Conflict(ConflictField::Username)) {
            return error;
        }
        let mut taken = user::Entity::find().filter(user::Column::EmailKey.eq(email_key));
        if let Some(id) = except {
            taken = taken.filter(user::Column::Id.ne(id));
        }
        match taken.count(&self.db).await {
            Ok(0) => error,
            Ok(_) => RepositoryError::Conflict(ConflictField::Email),
            Err(err) => {
                // The write failed on the username either way; say so.
                tracing::warn!(error = %err, "checking a username conflict for an email conflict");
                error
            }
        }
    }
}

#[async_trait]
impl UserRepository for SeaUserRepository {
    async fn create(&self, new: NewUser) -> Result<User, RepositoryError> {
        let email_key = fold_case(new.email.as_str());
        let row = user::ActiveModel {
            email: Set(new.email.as_str().to_owned()),
            email_key: Set(email_key.clone()),
            username: Set(new.username.as_str().to_owned()),
            username_key: Set(fold_case(new.username.as_str())),
            full_name: Set(new.full_name.as_str().to_owned()),
            hashed_password: Set(HashedPassword(new.password_hash.into_inner())),
            is_active: Set(new.is_active),
            is_admin: Set(new.is_admin),
            email_verified: Set(false),
            created_at: Set(new.created_at),
            updated_at: Set(new.created_at),
            ..Default::default()
        };
        match user::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("inserting a user"))
        {
            Ok(inserted) => Ok(inserted.into()),
            Err(error) => Err(self.email_first(error, Some(&email_key), None).await),
        }
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
        let key = fold_case(login);
        let row = user::Entity::find()
            .filter(
                Condition::any()
                    .add(user::Column::UsernameKey.eq(key.as_str()))
                    .add(user::Column::EmailKey.eq(key.as_str())),
            )
            .order_by_asc(user::Column::Id)
            .one(&self.db)
            .await
            .map_err(db_error("loading a user by login name"))?;
        Ok(row.map(User::from))
    }

    async fn list(&self, window: Window<UserId>) -> Result<Page<User>, RepositoryError> {
        let page = window.page;
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
        // One row more than the page says whether there is a next page; a
        // keyset window is a range of the primary key.
        let (query, offset) = match window.after {
            Some(after) => (user::Entity::find().filter(user::Column::Id.gt(after.0)), 0),
            None => (user::Entity::find(), page.offset()),
        };
        let query = query.order_by_asc(user::Column::Id);
        let statement = paged(
            &query,
            self.db.get_database_backend(),
            page.rows_to_read(),
            offset,
        );
        let rows = user::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await
            .map_err(db_error("listing users"))?;
        Ok(Page::from_rows(
            rows.into_iter().map(User::from).collect(),
            total,
            page,
        ))
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
        let email_key = patch.email.as_ref().map(|email| fold_case(email.as_str()));
        if let (Some(email), Some(key)) = (patch.email, &email_key) {
            row.email = Set(email.as_str().to_owned());
            row.email_key = Set(key.clone());
        }
        let username_changes = patch.username.is_some();
        if let Some(username) = patch.username {
            row.username_key = Set(fold_case(username.as_str()));
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
        if changes.unverifies_email {
            row.email_verified = Set(false);
        }
        // One UPDATE ... RETURNING: no row back means no such user.
        // A key column (or `email_verified`, added later still) the patch
        // leaves alone is set to itself. On SQLite,
        // `UPDATE ... RETURNING` read a key column the statement did not set
        // as NULL on the statement's first execution in a connection (seen
        // with the bundled SQLite 3.51 under sqlx 0.9, every later execution
        // fine; the cause is not found). Naming the column in the SET avoids
        // it, and changes nothing on either backend.
        let mut update = user::Entity::update_many().set(row);
        for (unchanged, column) in [
            (email_key.is_none(), user::Column::EmailKey),
            (!username_changes, user::Column::UsernameKey),
            (!changes.unverifies_email, user::Column::EmailVerified),
        ] {
            if unchanged {
                update = update.col_expr(column, Expr::col(column));
            }
        }
        let updated = match update
            .filter(user::Column::Id.eq(id.0))
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("updating a user"))
        {
            Ok(updated) => updated,
            Err(error) => {
                return Err(self
                    .email_first(error, email_key.as_deref(), Some(id.0))
                    .await);
            }
        };
        Ok(updated.into_iter().next().map(User::from))
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        // Neither email nor username changes: the keys stay as they are.
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
