//! A page's `LIMIT` and `OFFSET` written into the SQL text rather than
//! bound as parameters.
//!
//! sea-query binds every value, `LIMIT $9 OFFSET $10` included. With the
//! page size unknown, PostgreSQL prices a generic plan of a list statement
//! as if it read a tenth of the user's rows (cost 765 against 4.81 for the
//! plan of `LIMIT 21`), so it never settles on one: it plans again on every
//! execution (0.23 ms of planning for 0.08 ms of executing), and the list
//! statement alone ran at a third of the rate of the same `SELECT ... LIMIT
//! 20` written by hand (BENCHMARKS.md, "Growth"). With the numbers in the
//! text the planner knows them; `OFFSET 0` (page 1, and every cursor page)
//! is left out. Both are integers the adapter computed, never text from a
//! request, so nothing can be injected. The statement text then varies with
//! the page size (at most 101 values) and with deep `page=` offsets, which
//! the driver's per-connection statement cache bounds (least recently used
//! out).

use sea_orm::{DbBackend, QueryTrait, Statement};

/// `select`'s statement on `backend`, reading `limit` rows after skipping
/// `offset` of them. `select` must carry no `LIMIT` or `OFFSET` of its own.
pub(crate) fn paged<Q: QueryTrait>(
    select: &Q,
    backend: DbBackend,
    limit: u64,
    offset: u64,
) -> Statement {
    let mut statement = select.build(backend);
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    if offset > 0 {
        statement.sql.push_str(&format!(" OFFSET {offset}"));
    }
    statement
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};

    use super::*;
    use crate::entity::user;

    #[test]
    fn the_numbers_are_in_the_text_and_a_zero_offset_is_left_out() {
        let select = user::Entity::find().order_by_asc(user::Column::Id);
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let first = paged(&select, backend, 21, 0);
            assert!(first.sql.ends_with(" LIMIT 21"), "{}", first.sql);
            assert!(!first.sql.contains("OFFSET"), "{}", first.sql);
            let deep = paged(&select, backend, 11, 40);
            assert!(deep.sql.ends_with(" LIMIT 11 OFFSET 40"), "{}", deep.sql);
            // The rest is sea-query's statement with the numbers bound.
            let bound = select.clone().limit(11).offset(40).build(backend);
            assert_eq!(
                deep.sql.split(" LIMIT ").next(),
                bound.sql.split(" LIMIT ").next()
            );
            assert_eq!(
                deep.values.map(|v| v.0.len()).unwrap_or(0) + 2,
                bound.values.map(|v| v.0.len()).unwrap_or(0),
            );
        }
    }
}
