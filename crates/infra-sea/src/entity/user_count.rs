//! The `user_count` table: its one row holds the number of users, kept
//! exact by the database's triggers (see the migration
//! `m20250401_000004_row_counts`). Read only: nothing in the service writes
//! it.

use sea_orm::entity::prelude::*;

/// The one row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_count")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub only_row: bool,
    pub total: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
