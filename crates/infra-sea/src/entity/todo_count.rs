//! The `todo_counts` table: per user, how many todos they have and how many
//! of those are completed, kept exact by the database's triggers (see the
//! migration `m20250401_000004_row_counts`). Read only: nothing in the
//! service writes it.

use sea_orm::entity::prelude::*;

/// A user's counters; no row means no todos.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "todo_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub total: i64,
    pub completed: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
