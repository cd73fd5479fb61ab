//! [`crate::Backend::fresh`] itself: every test gets a store of its own.

use domain::PageRequest;

use crate::Backend;
use crate::support::{create_user, signed_in};

/// Two fresh stores at once share nothing: the same user in both is no
/// conflict, and neither sees the other's rows.
pub async fn fresh_stores_are_independent<B: Backend>() {
    let one = B::fresh().await;
    let two = B::fresh().await;
    assert_eq!(
        one.ports
            .users
            .list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        0,
        "a fresh store is empty"
    );

    let (alice, _) = signed_in(&one.ports, "alice").await;
    assert_eq!(
        two.ports
            .users
            .list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        0
    );
    // The same user in the other store is no conflict.
    let other_alice = create_user(&two.ports, "alice").await;
    assert_eq!(other_alice.username, alice.username);
    assert_eq!(
        one.ports
            .users
            .list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        1
    );
    drop(two);
    // Dropping one store leaves the other working.
    assert_eq!(
        one.ports.users.find_by_login("alice").await.unwrap(),
        Some(alice)
    );
}
