//! Fault tests (issue 6): the real `api` binary against a PostgreSQL server
//! of each test's own (`initdb` + `pg_ctl` in a temporary directory), made
//! to fail on purpose:
//!
//! - the database stops and comes back (`database_down`);
//! - every pooled connection is held by a request stuck behind a lock
//!   (`pool_exhausted`);
//! - the service is SIGKILLed in the middle of a burst of writes
//!   (`killed_mid_burst`);
//! - two processes start at once on one empty database and then share
//!   sessions, users and throttling (`two_processes`).
//!
//! SIGTERM/SIGINT during a slow request (drained, new connections refused,
//! exit 0) is covered by `tests/cli.rs`.
//!
//! Without PostgreSQL server binaries each test says so on standard error
//! and passes; `PG_BIN_DIR` names where they are. Timings are printed on
//! standard error (`cargo test --test faults -- --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The helpers and the tests live in `tests/faults/`; a test crate's root
// looks for modules beside itself, hence the paths.

#[path = "support/api_process.rs"]
mod api_process;
#[path = "faults/client.rs"]
mod client;
#[path = "faults/cluster.rs"]
mod cluster;
#[path = "faults/database_down.rs"]
mod database_down;
#[path = "faults/killed_mid_burst.rs"]
mod killed_mid_burst;
#[path = "faults/pool_exhausted.rs"]
mod pool_exhausted;
#[path = "faults/two_processes.rs"]
mod two_processes;
