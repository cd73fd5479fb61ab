//! Which of this build's migrations the database has applied, tolerating
//! migrations recorded by a **newer** build.
//!
//! During a rolling deploy the newer build's (expand-only) migration is
//! applied while instances of the older build still serve, and an older
//! instance may restart (or the deploy be rolled back) after it. Its schema
//! is then a superset of what the older build needs. `sea-orm-migration`'s
//! own status functions refuse that state ("Migration file of version ... is
//! missing"), which made every older instance report not-ready, and refuse
//! to start, the moment the newer build migrated. Here such versions are
//! reported apart, as [`SchemaState::unknown`], and do not count as a
//! problem.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::EntityTrait;
use sea_orm_migration::{IntoSchemaManagerConnection, seaql_migrations};

use crate::Migrator;

/// The database's migrations compared with this build's list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaState {
    /// This build's migrations not applied yet, oldest first.
    pub pending: Vec<String>,
    /// Applied versions this build does not know, in name order: normally
    /// a newer build's migrations.
    pub unknown: Vec<String>,
}

/// Reads the applied versions and compares them with [`Migrator`]'s list.
/// Read-only: never creates the migrations table (a missing table means
/// every migration is pending), so it needs no DDL privilege and cannot race
/// a migrator creating the table.
///
/// # Errors
/// The database's error when the migrations table cannot be read.
pub async fn schema_state<'c, C>(db: C) -> Result<SchemaState, DbErr>
where
    C: IntoSchemaManagerConnection<'c>,
{
    let manager = SchemaManager::new(db);
    let table = Migrator::migration_table_name().to_string();
    let applied: HashSet<String> = if manager.has_table(&table).await? {
        seaql_migrations::Entity::find()
            .all(manager.get_connection())
            .await?
            .into_iter()
            .map(|row| row.version)
            .collect()
    } else {
        HashSet::new()
    };
    Ok(compare(
        Migrator::migrations().iter().map(|m| m.name().to_owned()),
        applied,
    ))
}

fn compare(known: impl Iterator<Item = String>, mut applied: HashSet<String>) -> SchemaState {
    let pending = known
        .filter(|name| !applied.remove(name.as_str()))
        .collect();
    let mut unknown: Vec<String> = applied.into_iter().collect();
    unknown.sort();
    SchemaState { pending, unknown }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn pending_keeps_the_build_order_and_unknown_versions_are_set_apart() {
        let state = compare(
            names(&["m1", "m2", "m3"]).into_iter(),
            names(&["m2", "m9", "m4"]).into_iter().collect(),
        );
        assert_eq!(state.pending, names(&["m1", "m3"]));
        assert_eq!(state.unknown, names(&["m4", "m9"]));
    }

    #[test]
    fn a_current_database_has_nothing_pending_or_unknown() {
        let state = compare(
            names(&["m1", "m2"]).into_iter(),
            names(&["m1", "m2"]).into_iter().collect(),
        );
        assert_eq!(state, SchemaState::default());
    }
}
