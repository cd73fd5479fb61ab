//! [`domain::ports::SchemaStatus`]: a fresh store is migrated, and asking
//! changes nothing.

use domain::ports::Repositories;

use crate::support::create_user;

pub async fn a_fresh_store_has_no_pending_migrations(ports: Repositories) {
    assert_eq!(ports.schema.pending_migrations().await.unwrap(), 0);
    // Asking again, after the store was used, gives the same answer and
    // leaves the store working.
    let alice = create_user(&ports, "alice").await;
    assert_eq!(ports.schema.pending_migrations().await.unwrap(), 0);
    assert_eq!(ports.users.find_by_id(alice.id).await.unwrap(), Some(alice));
}
