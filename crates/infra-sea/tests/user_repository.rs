//! `SeaUserRepository`'s own machinery. What the port promises is tested by
//! the port contract (`contract.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use domain::ports::UserRepository;
use domain::{RepositoryError, UserId};
use support::{database, users};

#[tokio::test]
async fn a_closed_pool_is_unavailable() {
    let db = database().await;
    let repo = users(&db);
    db.connection().close_by_ref().await.unwrap();

    let result = repo.find_by_id(UserId(1)).await;

    assert!(
        matches!(result, Err(RepositoryError::Unavailable(_))),
        "{result:?}"
    );
}
