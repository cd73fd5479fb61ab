//! [`TodoRepository`] on SeaORM.
//!
//! Each checked method is one statement that carries the caller's
//! credential check ([`credential_holds`], an `EXISTS` on the session and
//! user primary keys, or on the personal access token's) in its `WHERE`:
//! the SELECT, the INSERT ... SELECT, the UPDATE and the DELETE do nothing
//! unless the credential holds, and a request costs one round trip instead
//! of two (a session query, then the work).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_trait::async_trait;
use domain::ports::TodoRepository;
use domain::{
    LiveCredential, NewTodo, Page, RepositoryError, Todo, TodoChanges, TodoFilter, TodoId,
    TodoPosition, UserId, Window,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait,
    Select, Statement, Value,
};

use crate::cached_sql::CachedSql;
use crate::credential_check::{credential_holds, credential_holds_values};
use crate::entity::{todo, todo_count};
use crate::error::db_error;
use crate::page_sql::paged;

/// The alias of the matching todos' total in the list query.
const TOTAL_COLUMN: &str = "total_count";

/// The alias of a session check selected on its own.
const HOLDS_COLUMN: &str = "credential_holds";

/// A row of the list query: the todo and the total of every matching row.
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

/// How many of `user`'s todos match `filter`, read from the counters the
/// database keeps (`todo_counts`, one row by primary key): the cost of a
/// list's `total` does not grow with the number of todos. A user without a
/// counter row has no todos (`COALESCE` to 0 around this).
fn matching_total(user: UserId, filter: TodoFilter) -> SelectStatement {
    let total = match filter.completed {
        None => Expr::col(todo_count::Column::Total),
        Some(true) => Expr::col(todo_count::Column::Completed),
        Some(false) => {
            Expr::col(todo_count::Column::Total).sub(Expr::col(todo_count::Column::Completed))
        }
    };
    Query::select()
        .expr(total)
        .from(todo_count::Entity)
        .and_where(todo_count::Column::UserId.eq(user.0))
        .to_owned()
}

/// [`matching_total`] as a value: 0 when the user has no counter row.
fn matching_total_expr(user: UserId, filter: TodoFilter) -> Expr {
    Func::coalesce([Expr::from(matching_total(user, filter)), Expr::val(0_i64)]).into()
}

/// `id` if `check`'s user owns it and `check` holds: the statement behind
/// `GET /v1/todos/{id}`, as sea-query builds it.
fn find_owned_query(id: TodoId, check: LiveCredential) -> Select<todo::Entity> {
    todo::Entity::find_by_id(id.0)
        .filter(todo::Column::UserId.eq(check.user.0))
        .filter(credential_holds(check))
        .limit(1)
}

/// [`find_owned_query`] with its text built once ([`CachedSql`]).
fn find_owned_statement(backend: DbBackend, id: TodoId, check: LiveCredential) -> Statement {
    static SQL: CachedSql = CachedSql::new();
    let mut values = vec![Value::from(id.0), Value::from(check.user.0)];
    values.extend(credential_holds_values(check));
    values.push(Value::from(1_u64));
    SQL.statement(
        backend,
        |backend| find_owned_query(id, check).build(backend),
        values,
    )
}

/// One page of `check`'s user's todos matching `filter`, newest first,
/// below `after` when given, with every row's matching total and the
/// session check: the statement behind `GET /v1/todos`, as sea-query builds
/// it (without its `LIMIT` and `OFFSET`, which [`paged`] writes in).
fn list_query(
    check: LiveCredential,
    filter: TodoFilter,
    after: Option<TodoPosition>,
) -> Select<todo::Entity> {
    let mut query = todo::Entity::find().filter(todo::Column::UserId.eq(check.user.0));
    if let Some(completed) = filter.completed {
        query = query.filter(todo::Column::IsCompleted.eq(completed));
    }
    if let Some(after) = after {
        // Keyset: the rows below the position in (created_at, id) order,
        // a range of the same index: no row before the page is read.
        query = query.filter(
            Expr::tuple([
                Expr::col((todo::Entity, todo::Column::CreatedAt)),
                Expr::col((todo::Entity, todo::Column::Id)),
            ])
            .lt(Expr::tuple([
                Expr::val(after.created_at),
                Expr::val(after.id.0),
            ])),
        );
    }
    query
        .filter(credential_holds(check))
        .column_as(matching_total_expr(check.user, filter), TOTAL_COLUMN)
        .order_by_desc(todo::Column::CreatedAt)
        .order_by_desc(todo::Column::Id)
}

/// What the text of a list statement depends on: the filter, whether it is
/// a keyset page, and the rows it reads. At most 3 x 2 x 101 texts per
/// backend (`rows` is a page size plus one).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ListShape {
    /// `DbBackend` is not `Hash`; the two backends served differ in this.
    sqlite: bool,
    completed: Option<bool>,
    keyset: bool,
    rows: u64,
}

/// [`list_query`] paged, its text built once per shape (building it was a
/// tenth of the server's CPU on `GET /v1/todos`): every page without an
/// `OFFSET` (page 1 and every cursor page) reuses it; a deep `page=` builds
/// its own (its `OFFSET` is in the text).
fn list_statement(
    backend: DbBackend,
    check: LiveCredential,
    filter: TodoFilter,
    after: Option<TodoPosition>,
    rows: u64,
    offset: u64,
) -> Statement {
    static TEXTS: OnceLock<Mutex<HashMap<ListShape, Arc<str>>>> = OnceLock::new();
    let build = || paged(&list_query(check, filter, after), backend, rows, offset);
    if offset > 0 || rows > MAX_CACHED_ROWS {
        return build();
    }
    let shape = ListShape {
        sqlite: backend == DbBackend::Sqlite,
        completed: filter.completed,
        keyset: after.is_some(),
        rows,
    };
    let texts = TEXTS.get_or_init(Mutex::default);
    let cached = texts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&shape)
        .cloned();
    let sql = match cached {
        Some(sql) => sql,
        None => {
            let sql: Arc<str> = Arc::from(build().sql);
            texts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(shape, sql.clone());
            sql
        }
    };
    // The values in the order of the text: the total's subquery (in the
    // select list), then the WHERE: owner, filter, keyset, session check.
    let mut values = vec![Value::from(check.user.0), Value::from(0_i64)];
    values.push(Value::from(check.user.0));
    if let Some(completed) = filter.completed {
        values.push(Value::from(completed));
    }
    if let Some(after) = after {
        values.push(Value::from(after.created_at));
        values.push(Value::from(after.id.0));
    }
    values.extend(credential_holds_values(check));
    Statement::from_sql_and_values(backend, &*sql, values)
}

/// The most rows a cached list text reads: a page of 100, plus one.
const MAX_CACHED_ROWS: u64 = 101;

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
    async fn create(
        &self,
        new: NewTodo,
        check: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError> {
        // INSERT INTO todos (...) SELECT <values> WHERE EXISTS (<check>)
        // RETURNING *: no row is inserted, and none returned, unless the
        // session holds.
        let values = Query::select()
            .expr(Expr::val(new.title.as_str()))
            .expr(Expr::val(new.description.as_ref().map(|d| d.as_str())))
            .expr(Expr::val(new.priority.as_str()))
            .expr(Expr::val(false))
            .expr(Expr::val(new.user_id.0))
            .expr(Expr::val(new.created_at))
            .expr(Expr::val(new.created_at))
            .and_where(credential_holds(check))
            .to_owned();
        let insert = Query::insert()
            .into_table(todo::Entity)
            .columns([
                todo::Column::Title,
                todo::Column::Description,
                todo::Column::Priority,
                todo::Column::IsCompleted,
                todo::Column::UserId,
                todo::Column::CreatedAt,
                todo::Column::UpdatedAt,
            ])
            .select_from(values)
            .map_err(|e| RepositoryError::Unexpected(e.into()))?
            .returning_all()
            .to_owned();
        let row = self
            .db
            .query_one(&insert)
            .await
            .map_err(db_error("inserting a todo"))?;
        row.map(|row| {
            let model = todo::Model::from_query_result(&row, "")
                .map_err(db_error("reading an inserted todo"))?;
            Todo::try_from(model)
        })
        .transpose()
    }

    async fn find_by_id(&self, id: TodoId) -> Result<Option<Todo>, RepositoryError> {
        let row = todo::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(db_error("loading a todo"))?;
        row.map(Todo::try_from).transpose()
    }

    async fn find_owned(
        &self,
        id: TodoId,
        check: LiveCredential,
    ) -> Result<Option<Todo>, RepositoryError> {
        let row = todo::Entity::find()
            .from_raw_sql(find_owned_statement(
                self.db.get_database_backend(),
                id,
                check,
            ))
            .one(&self.db)
            .await
            .map_err(db_error("loading a todo"))?;
        row.map(Todo::try_from).transpose()
    }

    async fn list_owned(
        &self,
        check: LiveCredential,
        filter: TodoFilter,
        window: Window<TodoPosition>,
    ) -> Result<Option<Page<Todo>>, RepositoryError> {
        let page = window.page;
        let offset = match window.after {
            Some(_) => 0,
            None => page.offset(),
        };
        // One round trip: the page (and one row more, which says whether
        // there is a next page) and, on every row, the total of the
        // matching todos from the user's counters, if the session holds.
        // Matches the index todos_user_created_idx (user_id, created_at
        // DESC, id DESC), or todos_user_completed_created_idx with a filter:
        // the page costs its own rows (and the rows OFFSET skips).
        let statement = list_statement(
            self.db.get_database_backend(),
            check,
            filter,
            window.after,
            page.rows_to_read(),
            offset,
        );
        let rows = CountedRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(db_error("listing a user's todos"))?;
        let total = match rows.first() {
            Some(row) => u64::try_from(row.total).unwrap_or_default(),
            // No rows: the session ended, or there is nothing on this page.
            None if !self.holds(check).await? => return Ok(None),
            // An empty first page has nothing to count; past the end, read
            // the counter.
            None if offset == 0 && window.after.is_none() => 0,
            None => self.matching_total(check.user, filter).await?,
        };
        let items = rows
            .into_iter()
            .map(|row| Todo::try_from(row.todo))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Page::from_rows(items, total, page)))
    }

    async fn update(
        &self,
        id: TodoId,
        changes: TodoChanges,
        check: LiveCredential,
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
            .filter(todo::Column::UserId.eq(check.user.0))
            .filter(todo::Column::UpdatedAt.lt(changes.updated_at))
            .filter(credential_holds(check))
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error("updating a todo"))?;
        updated.into_iter().next().map(Todo::try_from).transpose()
    }

    async fn delete(&self, id: TodoId, check: LiveCredential) -> Result<bool, RepositoryError> {
        let result = todo::Entity::delete_many()
            .filter(todo::Column::Id.eq(id.0))
            .filter(todo::Column::UserId.eq(check.user.0))
            .filter(credential_holds(check))
            .exec(&self.db)
            .await
            .map_err(db_error("deleting a todo"))?;
        Ok(result.rows_affected > 0)
    }
}

impl SeaTodoRepository {
    /// Whether the session check holds, on its own (for an empty page).
    async fn holds(&self, check: LiveCredential) -> Result<bool, RepositoryError> {
        let query = Query::select()
            .expr_as(credential_holds(check), HOLDS_COLUMN)
            .to_owned();
        let row = self
            .db
            .query_one(&query)
            .await
            .map_err(db_error("checking a session"))?;
        match row {
            Some(row) => row
                .try_get::<bool>("", HOLDS_COLUMN)
                .map_err(db_error("checking a session")),
            None => Ok(false),
        }
    }

    /// The list total on its own (for an empty page past the end).
    async fn matching_total(
        &self,
        user: UserId,
        filter: TodoFilter,
    ) -> Result<u64, RepositoryError> {
        let query = Query::select()
            .expr_as(matching_total_expr(user, filter), TOTAL_COLUMN)
            .to_owned();
        let row = self
            .db
            .query_one(&query)
            .await
            .map_err(db_error("reading a user's todo counters"))?;
        let total = match row {
            Some(row) => row
                .try_get::<i64>("", TOTAL_COLUMN)
                .map_err(db_error("reading a user's todo counters"))?,
            None => 0,
        };
        Ok(u64::try_from(total).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use domain::{Credential, SessionId, UserId};

    use super::*;
    use crate::cached_sql::tests::assert_same_statement;

    #[test]
    fn the_cached_list_statements_are_the_built_ones() {
        let check = LiveCredential {
            user: UserId(3),
            credential: Credential::Session(SessionId(11)),
            at: domain::time::SystemClock::now(),
        };
        let after = TodoPosition {
            created_at: chrono::DateTime::UNIX_EPOCH,
            id: TodoId(42),
        };
        for completed in [None, Some(true), Some(false)] {
            let filter = TodoFilter { completed };
            for after in [None, Some(after)] {
                for (rows, offset) in [(21, 0), (2, 0), (101, 0), (11, 30), (102, 0)] {
                    assert_same_statement(
                        |backend| list_statement(backend, check, filter, after, rows, offset),
                        |backend| paged(&list_query(check, filter, after), backend, rows, offset),
                    );
                }
            }
        }
    }

    #[test]
    fn the_cached_find_owned_statement_is_the_built_one() {
        let inputs = [
            (
                TodoId(7),
                UserId(3),
                SessionId(11),
                domain::time::SystemClock::now(),
            ),
            (
                TodoId(i64::MAX),
                UserId(1),
                SessionId(2),
                chrono::DateTime::UNIX_EPOCH,
            ),
        ];
        for (id, user, session, at) in inputs {
            let check = LiveCredential {
                user,
                credential: Credential::Session(session),
                at,
            };
            assert_same_statement(
                |backend| find_owned_statement(backend, id, check),
                |backend| find_owned_query(id, check).build(backend),
            );
        }
    }
}
