//! The `users` table.

use std::fmt;

use domain::{Email, FullName, PasswordHash, User, UserId, Username};
use sea_orm::entity::prelude::*;

/// A stored password hash. Its `Debug` never shows the hash, so neither does
/// the `Debug` of a [`Model`] or [`ActiveModel`].
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct HashedPassword(pub String);

impl fmt::Debug for HashedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashedPassword(<redacted>)")
    }
}

/// A row of `users`.
///
/// The fields are in the table's column order: the key columns, added by a
/// later migration, come last. (SQLite's `UPDATE ... RETURNING` once read a
/// key column the statement did not set as NULL; see
/// `SeaUserRepository::update` for what avoids it.)
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub username: String,
    pub full_name: String,
    pub hashed_password: HashedPassword,
    pub is_active: bool,
    pub is_admin: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `domain::fold_case(email)`: what email uniqueness and lookup compare
    /// (unique index `users_email_folded_key`). Written with every email.
    pub email_key: String,
    /// `domain::fold_case(username)` (unique index
    /// `users_username_folded_key`). Written with every username.
    pub username_key: String,
    /// Migration 000007: the user proved `email` by a verification link.
    pub email_verified: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::todo::Entity")]
    Todo,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::todo::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Todo.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for User {
    fn from(row: Model) -> Self {
        User {
            id: UserId(row.id),
            email: Email::from_stored(row.email),
            username: Username::from_stored(row.username),
            full_name: FullName::from_stored(row.full_name),
            password_hash: PasswordHash::new(row.hashed_password.0),
            is_active: row.is_active,
            is_admin: row.is_admin,
            email_verified: row.email_verified,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
