//! The SQL of the statements every authenticated request runs, built by
//! sea-query once per backend instead of on every request.
//!
//! Building a statement (its expression tree, then its text) was about a
//! sixth of the server's CPU on `GET /v1/todos/{id}` (BENCHMARKS.md). The
//! text of these statements does not depend on their values, which are all
//! bound as parameters, so it is built the first time and reused; each call
//! supplies only the values, in the order the built statement has them. A
//! test per statement checks that the cached text and the values given
//! equal what sea-query builds for the same inputs, so the query stays
//! defined in one place (the sea-query builder) and a change to it that the
//! values do not follow fails the test.

use std::sync::OnceLock;

use sea_orm::{DbBackend, Statement, Value};

/// One statement's SQL text, per backend.
pub(crate) struct CachedSql {
    postgres: OnceLock<String>,
    sqlite: OnceLock<String>,
}

impl CachedSql {
    pub(crate) const fn new() -> Self {
        Self {
            postgres: OnceLock::new(),
            sqlite: OnceLock::new(),
        }
    }

    /// The statement with `values`, its SQL taken from `build` (called once
    /// per backend, with any inputs: they must not change the text).
    pub(crate) fn statement(
        &self,
        backend: DbBackend,
        build: impl FnOnce(DbBackend) -> Statement,
        values: Vec<Value>,
    ) -> Statement {
        let cell = match backend {
            DbBackend::Sqlite => &self.sqlite,
            _ => &self.postgres,
        };
        let sql = cell.get_or_init(|| build(backend).sql);
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Asserts that `cached` (called twice, to use the cache) gives what
    /// `built` does, on both backends.
    pub(crate) fn assert_same_statement(
        cached: impl Fn(DbBackend) -> Statement,
        built: impl Fn(DbBackend) -> Statement,
    ) {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let expected = built(backend);
            assert_eq!(cached(backend), expected, "{backend:?}");
            assert_eq!(cached(backend), expected, "{backend:?}, from the cache");
        }
    }

    #[test]
    fn the_text_is_built_once_per_backend() {
        let cache = CachedSql::new();
        let mut builds = 0;
        for backend in [DbBackend::Postgres, DbBackend::Postgres, DbBackend::Sqlite] {
            let statement = cache.statement(
                backend,
                |b| {
                    builds += 1;
                    Statement::from_string(b, format!("SELECT {builds}"))
                },
                vec![Value::from(7_i64)],
            );
            assert_eq!(statement.db_backend, backend);
            assert_eq!(
                statement.values.map(|v| v.0),
                Some(vec![Value::from(7_i64)])
            );
        }
        assert_eq!(builds, 2);
        let text = |b| cache.statement(b, |_| unreachable!("cached"), vec![]).sql;
        assert_eq!(text(DbBackend::Postgres), "SELECT 1");
        assert_eq!(text(DbBackend::Sqlite), "SELECT 2");
    }
}
