//! [`TodoRepository`] on SeaORM.

use async_trait::async_trait;
use domain::ports::TodoRepository;
use domain::{
    NewTodo, Page, PageRequest, RepositoryError, Todo, TodoChanges, TodoFilter, TodoId, UserId,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
};

use crate::entity::todo;
use crate::error::db_error;

/// The alias of the window count in the list query.
const TOTAL_COLUMN: &str = "total_count";

/// A row of the list query: the todo and the count of every matching row.
struct CountedRow {
    todo: todo::Model,
    total: i64,
}

impl FromQueryResult for CountedRow {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            todo: todo::Model::from_query_result(row, prefix)?,
            total: row.try_get(prefix, TOTAL_COLUMN)?,
        })
    }
}

/// Todos in the `todos` table.
#[derive(Clone)]
pub struct SeaTodoRepository {
    db: DatabaseConnection,
}

impl SeaTodoRepository {
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TodoRepository for SeaTodoRepository {
    async fn create(&self, new: NewTodo) -> Result<Todo, RepositoryError> {
        let row = todo::ActiveModel {
            title: Set(new.title.as_str().to_owned()),
            description: Set(new.description.map(|d| d.as_str().to_owned())),
            priority: Set(new.priority.as_str().to_owned()),
            is_completed: Set(false),
            user_id: Set(new.user_id.0),
            created_at: Set(new.created_at),
            updated_at: Set(new.created_at),
            ..Default::default()
        };
        let inserted = todo::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("inserting a todo"))?;
        Todo::try_from(inserted)
    }

    async fn find_by_id(&self, id: TodoId) -> Result<Option<Todo>, RepositoryError> {
        let row = todo::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(db_error("loading a todo"))?;
        row.map(Todo::try_from).transpose()
    }

    async fn list_for_user(
        &self,
        owner: UserId,
        filter: TodoFilter,
        page: PageRequest,
    ) -> Result<Page<Todo>, RepositoryError> {
        let mut query = todo::Entity::find().filter(todo::Column::UserId.eq(owner.0));
        if let Some(completed) = filter.completed {
            query = query.filter(todo::Column::IsCompleted.eq(completed));
        }
        // One round trip: the page and, on every row, the count of all the
        // matching rows (a window over the whole filtered set).
        // Matches the index todos_user_created_idx (user_id, created_at DESC, id DESC).
        let rows = query
            .clone()
            .column_as(Expr::cust("COUNT(*) OVER ()"), TOTAL_COLUMN)
            .order_by_desc(todo::Column::CreatedAt)
            .order_by_desc(todo::Column::Id)
            .offset(page.offset())
            .limit(page.page_size())
            .into_model::<CountedRow>()
            .all(&self.db)
            .await
            .map_err(db_error("listing a user's todos"))?;
        let total = match rows.first() {
            Some(row) => u64::try_from(row.total).unwrap_or_default(),
            // An empty first page has nothing to count; past the end, count.
            None if page.offset() == 0 => 0,
            None => query
                .count(&self.db)
                .await
                .map_err(db_error("counting a user's todos"))?,
        };
        let items = rows
            .into_iter()
            .map(|row| Todo::try_from(row.todo))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    async fn update(
        &self,
        id: TodoId,
        owner: UserId,
        changes: TodoChanges,
    ) -> Result<Option<Todo>, RepositoryError> {
        let patch = changes.patch;
        let mut row = todo::ActiveModel {
            updated_at: Set(changes.updated_at),
            ..Default::default()
        };
        if let Some(title) = patch.title {
            row.title = Set(title.as_str().to_owned());
        }
        if let Some(description) = patch.description {
            // Some(None) clears the description.
            row.description = Set(description.map(|d| d.as_str().to_owned()));
        }
        if let Some(is_completed) = patch.is_completed {
            row.is_completed = Set(is_completed);
        }
        if let Some(priority) = patch.priority {
            row.priority = Set(priority.as_str().to_owned());
        }
        // One UPDATE ... RETURNING; no row back means no todo matched.
        let updated = todo::Entity::update_many()
            .set(row)
            .filter(todo::Column::Id.eq(id.0))
            .filter(todo::Column::UserId.eq(owner.0))
            .filter(todo::Column::UpdatedAt.lt(changes.updated_at))
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("updating a todo"))?;
        updated.into_iter().next().map(Todo::try_from).transpose()
    }

    async fn delete(&self, id: TodoId, owner: UserId) -> Result<bool, RepositoryError> {
        let result = todo::Entity::delete_many()
            .filter(todo::Column::Id.eq(id.0))
            .filter(todo::Column::UserId.eq(owner.0))
            .exec(&self.db)
            .await
            .map_err(db_error("deleting a todo"))?;
        Ok(result.rows_affected > 0)
    }
}
