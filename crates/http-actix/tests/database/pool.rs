//! The connection-pool gauges of `/metrics`, which only a database's pool
//! has (the memory store reports none).

use crate::helpers::{Store, TestApp, sample, scrape};

#[tokio::test]
async fn the_pool_gauges_are_read_at_scrape_time() {
    let app = TestApp::spawn_on(Store::database().await, &[("DB_POOL_SIZE", "3")]).await;
    // A request that needs the database: on PostgreSQL the worker's pool
    // opens its first connection lazily.
    assert_eq!(app.get("/v1/health", None).await.status(), 200);
    let text = scrape(&app).await;
    let gauge = |name| sample(&text, name, &[]).unwrap_or_else(|| panic!("{name} in {text}"));
    let (size, in_use, idle, max) = (
        gauge("db_pool_size"),
        gauge("db_pool_in_use"),
        gauge("db_pool_idle"),
        gauge("db_pool_max_size"),
    );
    // DB_POOL_SIZE for the requests, plus the outbox worker's connection
    // of its own (on SQLite one shared pool: just DB_POOL_SIZE).
    let expected_max = if app.store.database_handle().url().starts_with("postgres") {
        4.0
    } else {
        3.0
    };
    assert_eq!(max, expected_max);
    assert!((1.0..=expected_max).contains(&size), "size {size}");
    assert_eq!(in_use + idle, size);
    assert!(text.contains("# TYPE db_pool_size gauge"), "{text}");
}
