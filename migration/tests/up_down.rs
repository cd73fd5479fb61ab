//! The migrations apply, roll back and apply again on a fresh database.
//!
//! This runs on an in-memory SQLite database so that `cargo test -p migration`
//! needs nothing installed; `infra-sea`'s tests run the same cycle on
//! PostgreSQL through its `TestDatabase`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DatabaseConnection};

async fn fresh_database() -> DatabaseConnection {
    // One connection: every connection to `:memory:` would otherwise see its
    // own empty database.
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("open in-memory SQLite")
}

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db).has_table(table).await.unwrap()
}

#[tokio::test]
async fn up_down_up_on_a_fresh_database() {
    let db = fresh_database().await;

    Migrator::up(&db, None).await.expect("first up");
    assert!(has_table(&db, "users").await);
    assert!(has_table(&db, "todos").await);

    Migrator::down(&db, None).await.expect("down");
    assert!(!has_table(&db, "users").await, "users survived down");
    assert!(!has_table(&db, "todos").await, "todos survived down");

    Migrator::up(&db, None).await.expect("second up");
    assert!(has_table(&db, "users").await);
    assert!(has_table(&db, "todos").await);
}

#[tokio::test]
async fn the_migration_list_names_the_first_schema() {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(names, ["m20250101_000001_create_users_and_todos"]);
}
