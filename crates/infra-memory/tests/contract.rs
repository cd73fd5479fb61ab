//! The port-contract suite (`port_contract`) on the in-memory adapters: the
//! same tests SQLite and PostgreSQL pass in `infra-sea`. A failure here is a
//! bug in this crate, to be fixed here.

use std::sync::Arc;

use domain::time::SystemClock;
use infra_memory::MemoryStore;
use port_contract::{Backend, Fixture};

/// A fresh, empty memory store per test, on the system clock (the contract
/// passes its instants to the ports explicitly; only the probe reads it).
struct Memory;

impl Backend for Memory {
    async fn fresh() -> Fixture {
        let store = MemoryStore::new(Arc::new(SystemClock));
        Fixture::new(store.repositories(), store)
    }
}

port_contract::suite!(Memory);
