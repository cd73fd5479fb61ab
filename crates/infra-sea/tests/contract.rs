//! The port-contract suite (`port_contract`) on infra-sea's adapters: once
//! on SQLite, always, and once on the database the environment configures
//! (`TestDatabase::new`: PostgreSQL when `TEST_DATABASE_URL` names one, as
//! in CI's PostgreSQL pass; SQLite otherwise, when both runs test the same).
//! A failure here is a bug in the adapter, to be fixed there.

#![allow(clippy::expect_used)]

use infra_sea::testing::TestDatabase;
use port_contract::{Backend, Fixture};

/// SQLite in a temporary file, whatever the environment says.
struct Sqlite;

impl Backend for Sqlite {
    async fn fresh() -> Fixture {
        let db = TestDatabase::sqlite()
            .await
            .expect("a fresh SQLite test database");
        Fixture::new(db.repositories(), db)
    }
}

/// The test database this process is configured for (see
/// `infra_sea::testing`).
struct Configured;

impl Backend for Configured {
    async fn fresh() -> Fixture {
        let db = TestDatabase::new().await.expect("a fresh test database");
        Fixture::new(db.repositories(), db)
    }
}

mod sqlite {
    port_contract::suite!(super::Sqlite);
}

mod configured {
    port_contract::suite!(super::Configured);
}
