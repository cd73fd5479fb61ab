//! [`domain::ports::DatabaseProbe`]: the store answers with its current
//! time.

use chrono::Utc;
use domain::ports::Repositories;

/// The one test that reads the system clock: the store's time is compared
/// with it.
pub async fn current_time_is_close_to_now(ports: Repositories) {
    let before = Utc::now();
    let server_time = ports.probe.current_time().await.unwrap();
    let after = Utc::now();

    // SQLite's CURRENT_TIMESTAMP has whole seconds; allow for that and skew.
    let slack = chrono::TimeDelta::seconds(2);
    assert!(
        server_time >= before - slack && server_time <= after + slack,
        "{server_time} not within [{before}, {after}]"
    );
}
