//! The `todos` table.

use anyhow::anyhow;
use domain::{Priority, RepositoryError, Todo, TodoDescription, TodoId, TodoTitle, UserId};
use sea_orm::entity::prelude::*;

/// A row of `todos`. `priority` is kept as the text the table holds
/// (`low`, `medium` or `high`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "todos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub priority: String,
    pub is_completed: bool,
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Todo {
    type Error = RepositoryError;

    /// # Errors
    /// [`RepositoryError::Unexpected`] when the row's priority is not one the
    /// domain knows (the table's CHECK constraint should make that impossible).
    fn try_from(row: Model) -> Result<Self, Self::Error> {
        let priority: Priority = row.priority.parse().map_err(|_| {
            RepositoryError::Unexpected(anyhow!(
                "todo {} has an unknown priority {:?} in the database",
                row.id,
                row.priority
            ))
        })?;
        Ok(Todo {
            id: TodoId(row.id),
            title: TodoTitle::from_stored(row.title),
            description: row.description.map(TodoDescription::from_stored),
            priority,
            is_completed: row.is_completed,
            user_id: UserId(row.user_id),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn row(priority: &str) -> Model {
        let now = domain::time::SystemClock::now();
        Model {
            id: 7,
            title: "t".to_owned(),
            description: None,
            priority: priority.to_owned(),
            is_completed: false,
            user_id: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn known_priorities_convert() {
        assert_eq!(
            Todo::try_from(row("high")).unwrap().priority,
            Priority::High
        );
        assert_eq!(Todo::try_from(row("low")).unwrap().priority, Priority::Low);
    }

    #[test]
    fn unknown_priority_in_a_row_is_unexpected() {
        let err = Todo::try_from(row("urgent")).unwrap_err();
        assert!(matches!(err, RepositoryError::Unexpected(_)), "{err:?}");
        assert!(err.to_string().contains("urgent"), "{err}");
    }
}
