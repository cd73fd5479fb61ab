//! Exact totals without counting rows: the number of each user's todos (and
//! of their completed ones) and the number of users, kept by the database
//! itself.
//!
//! - `todo_counts`: one row per user, made with the user. `total` is the
//!   number of their todos and `completed` the number of those with
//!   `is_completed`. The row goes with its user (ON DELETE CASCADE).
//! - `user_count`: one row, `total` = the number of users.
//!
//! Triggers keep both exact for every write, the service's or anyone's
//! (a bulk import, an operator's fix-up in SQL): a list answers its `total`
//! by reading one row, whatever the size of the table. Two writers of one
//! user's todos serialise on that user's counter row until they commit
//! (different users never wait for each other); two registrations
//! serialise on the `user_count` row the same way.
//!
//! - PostgreSQL: statement-level triggers with transition tables, so a
//!   statement that writes a million todos updates each user's counter once,
//!   not a million times. The up migration locks `users` and `todos` against
//!   writes while it backfills, so no write can fall between the backfill
//!   and the triggers. (A statement that writes the todos of several users
//!   locks their counters in no set order: two such statements at once may
//!   deadlock, and PostgreSQL then fails one of them. The service writes one
//!   user's todos per statement.)
//! - SQLite: row-level triggers (the only kind it has). One writer at a time
//!   holds the database, so the backfill cannot race a write.
//!
//! The functions are `CREATE OR REPLACE`: `migrate fresh` drops every
//! table but leaves functions behind, and the next `up` must not fail on
//! them.
//!
//! CHECK constraints make a counter that would go wrong (negative, more
//! completed than total) fail the write, instead of answering a wrong total.
//!
//! A second index, `todos_user_completed_created_idx`, serves the lists
//! filtered by `completed` in the same order as `todos_user_created_idx`
//! serves the unfiltered ones: a page costs its own rows, however many todos
//! the user has.

use sea_orm_migration::prelude::*;

use crate::backend_sql::run_per_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "LOCK TABLE users, todos IN SHARE ROW EXCLUSIVE MODE",
    "CREATE TABLE todo_counts (
        user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        total BIGINT NOT NULL CONSTRAINT todo_counts_total_not_negative CHECK (total >= 0),
        completed BIGINT NOT NULL
            CONSTRAINT todo_counts_completed_within_total CHECK (completed BETWEEN 0 AND total)
    )",
    "CREATE TABLE user_count (
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CONSTRAINT user_count_one_row CHECK (only_row),
        total BIGINT NOT NULL CONSTRAINT user_count_total_not_negative CHECK (total >= 0)
    )",
    "INSERT INTO todo_counts (user_id, total, completed)
        SELECT u.id, count(t.id), count(t.id) FILTER (WHERE t.is_completed)
        FROM users AS u LEFT JOIN todos AS t ON t.user_id = u.id
        GROUP BY u.id",
    "INSERT INTO user_count (only_row, total) SELECT TRUE, count(*) FROM users",
    // A new user gets a counter row (at zero) and counts as one more user.
    "CREATE OR REPLACE FUNCTION row_counts_after_user_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO todo_counts (user_id, total, completed) SELECT id, 0, 0 FROM new_rows;
        UPDATE user_count SET total = total + (SELECT count(*) FROM new_rows);
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER users_count_insert AFTER INSERT ON users
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION row_counts_after_user_insert()",
    // A deleted user's counter row goes by its foreign key's cascade.
    "CREATE OR REPLACE FUNCTION row_counts_after_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE user_count SET total = total - (SELECT count(*) FROM old_rows);
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER users_count_delete AFTER DELETE ON users
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION row_counts_after_user_delete()",
    // Adds each user's new todos to their counter.
    "CREATE OR REPLACE FUNCTION todo_counts_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE todo_counts AS c
            SET total = c.total + d.total, completed = c.completed + d.completed
            FROM (SELECT user_id, count(*) AS total, count(*) FILTER (WHERE is_completed) AS completed
                  FROM new_rows GROUP BY user_id) AS d
            WHERE c.user_id = d.user_id;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER todos_count_insert AFTER INSERT ON todos
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION todo_counts_after_insert()",
    // Takes each user's deleted todos off their counter. When the user
    // itself is being deleted, its counter row may be gone already: nothing
    // to update then.
    "CREATE OR REPLACE FUNCTION todo_counts_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE todo_counts AS c
            SET total = c.total - d.total, completed = c.completed - d.completed
            FROM (SELECT user_id, count(*) AS total, count(*) FILTER (WHERE is_completed) AS completed
                  FROM old_rows GROUP BY user_id) AS d
            WHERE c.user_id = d.user_id;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER todos_count_delete AFTER DELETE ON todos
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION todo_counts_after_delete()",
    // The net change per user of an UPDATE: a todo moved to another user
    // leaves one counter and joins another; a todo completed (or reopened)
    // moves `completed` only. An update of neither column (a title, say)
    // changes no counter and writes nothing.
    "CREATE OR REPLACE FUNCTION todo_counts_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE todo_counts AS c
            SET total = c.total + d.total, completed = c.completed + d.completed
            FROM (SELECT user_id, sum(n) AS total, sum(done) AS completed
                  FROM (SELECT user_id, 1 AS n, CASE WHEN is_completed THEN 1 ELSE 0 END AS done
                        FROM new_rows
                        UNION ALL
                        SELECT user_id, -1, CASE WHEN is_completed THEN -1 ELSE 0 END
                        FROM old_rows) AS changes
                  GROUP BY user_id
                  HAVING sum(n) <> 0 OR sum(done) <> 0) AS d
            WHERE c.user_id = d.user_id;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER todos_count_update AFTER UPDATE ON todos
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION todo_counts_after_update()",
    "CREATE INDEX todos_user_completed_created_idx
        ON todos (user_id, is_completed, created_at DESC, id DESC)",
];

// `is_completed` is stored as 0 or 1 (SQLite has no boolean type), so
// `is_completed <> 0` is 1 for a completed todo and 0 otherwise.
const SQLITE_UP: &[&str] = &[
    "CREATE TABLE todo_counts (
        user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        total INTEGER NOT NULL CONSTRAINT todo_counts_total_not_negative CHECK (total >= 0),
        completed INTEGER NOT NULL
            CONSTRAINT todo_counts_completed_within_total CHECK (completed BETWEEN 0 AND total)
    )",
    "CREATE TABLE user_count (
        only_row INTEGER PRIMARY KEY CONSTRAINT user_count_one_row CHECK (only_row = 1),
        total INTEGER NOT NULL CONSTRAINT user_count_total_not_negative CHECK (total >= 0)
    )",
    "INSERT INTO todo_counts (user_id, total, completed)
        SELECT u.id, count(t.id), coalesce(sum(t.is_completed <> 0), 0)
        FROM users AS u LEFT JOIN todos AS t ON t.user_id = u.id
        GROUP BY u.id",
    "INSERT INTO user_count (only_row, total) SELECT 1, count(*) FROM users",
    "CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
        INSERT INTO todo_counts (user_id, total, completed) VALUES (NEW.id, 0, 0);
        UPDATE user_count SET total = total + 1;
    END",
    "CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
        UPDATE user_count SET total = total - 1;
    END",
    "CREATE TRIGGER todos_count_insert AFTER INSERT ON todos BEGIN
        UPDATE todo_counts
            SET total = total + 1, completed = completed + (NEW.is_completed <> 0)
            WHERE user_id = NEW.user_id;
    END",
    "CREATE TRIGGER todos_count_delete AFTER DELETE ON todos BEGIN
        UPDATE todo_counts
            SET total = total - 1, completed = completed - (OLD.is_completed <> 0)
            WHERE user_id = OLD.user_id;
    END",
    // Off the old user's counter, then onto the new one's (the same user's
    // when only `is_completed` changed).
    "CREATE TRIGGER todos_count_update AFTER UPDATE OF user_id, is_completed ON todos
    WHEN OLD.user_id IS NOT NEW.user_id OR (OLD.is_completed <> 0) IS NOT (NEW.is_completed <> 0)
    BEGIN
        UPDATE todo_counts
            SET total = total - 1, completed = completed - (OLD.is_completed <> 0)
            WHERE user_id = OLD.user_id;
        UPDATE todo_counts
            SET total = total + 1, completed = completed + (NEW.is_completed <> 0)
            WHERE user_id = NEW.user_id;
    END",
    "CREATE INDEX todos_user_completed_created_idx
        ON todos (user_id, is_completed, created_at DESC, id DESC)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX todos_user_completed_created_idx",
    "DROP TRIGGER users_count_delete ON users",
    "DROP TRIGGER users_count_insert ON users",
    "DROP TRIGGER todos_count_update ON todos",
    "DROP TRIGGER todos_count_delete ON todos",
    "DROP TRIGGER todos_count_insert ON todos",
    "DROP FUNCTION row_counts_after_user_delete()",
    "DROP FUNCTION row_counts_after_user_insert()",
    "DROP FUNCTION todo_counts_after_update()",
    "DROP FUNCTION todo_counts_after_delete()",
    "DROP FUNCTION todo_counts_after_insert()",
    "DROP TABLE user_count",
    "DROP TABLE todo_counts",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX todos_user_completed_created_idx",
    "DROP TRIGGER users_count_delete",
    "DROP TRIGGER users_count_insert",
    "DROP TRIGGER todos_count_update",
    "DROP TRIGGER todos_count_delete",
    "DROP TRIGGER todos_count_insert",
    "DROP TABLE user_count",
    "DROP TABLE todo_counts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_per_backend(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_per_backend(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
