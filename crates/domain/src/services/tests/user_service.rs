//! The users API's access rules and the `create-admin` command.

use std::sync::Arc;

use mockall::predicate::eq;

use super::{
    CursorLedger, HASH, SharedTime, admin, in_an_hour, ledger_seal, long_ago, member, registration,
    seal_into, stored, unavailable, unused_seal, user,
};
use crate::error::{ConflictField, RepositoryError};
use crate::pagination::{
    CursorError, CursorList, ListCursor, ListRequest, Page, PageRequest, Window,
};
use crate::password::PasswordHash;
use crate::ports::{MockCursorSeal, MockPasswordHasher, MockSessionRepository, MockUserRepository};
use crate::services::tests::{clock, fixed_now};
use crate::services::{CreateAdminError, UserError, UserService};
use crate::user::{Email, User, UserChanges, UserId, UserPatch, Username};

/// The service with a session store that must never be touched.
fn service(users: MockUserRepository, hasher: MockPasswordHasher) -> UserService {
    service_with_sessions(users, hasher, untouched_sessions())
}

fn service_with_sessions(
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    sessions: MockSessionRepository,
) -> UserService {
    service_with_seal(users, hasher, sessions, unused_seal())
}

fn service_with_seal(
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    sessions: MockSessionRepository,
    seal: MockCursorSeal,
) -> UserService {
    UserService::new(
        Arc::new(users),
        Arc::new(hasher),
        Arc::new(sessions),
        Arc::new(seal),
        super::accepting_account_mail(),
        clock(),
    )
}

/// A session store that must never be called.
fn untouched_sessions() -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions.expect_create().never();
    sessions.expect_find_refresh_token().never();
    sessions.expect_rotate().never();
    sessions.expect_revoke().never();
    sessions.expect_revoke_all().never();
    sessions.expect_list_active().never();
    sessions.expect_find_authenticated().never();
    sessions
}

/// A hasher that must never be asked anything.
fn idle_hasher() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().never();
    hasher.expect_verify().never();
    hasher.expect_verify_dummy().never();
    hasher
}

/// A hasher that hashes the registration's password once.
fn hashing_once() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok(PasswordHash::new(HASH)));
    hasher
}

/// A repository that must never be called.
fn untouched() -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users.expect_create().never();
    users.expect_find_by_id().never();
    users.expect_find_by_login().never();
    users.expect_list().never();
    users.expect_update().never();
    users.expect_set_password().never();
    users.expect_delete().never();
    users
}

/// What the store returns after applying `changes` to `user`.
fn applied(user: User, changes: &UserChanges) -> User {
    let patch = changes.patch.clone();
    User {
        email: patch.email.unwrap_or(user.email),
        username: patch.username.unwrap_or(user.username),
        full_name: patch.full_name.unwrap_or(user.full_name),
        is_active: patch.is_active.unwrap_or(user.is_active),
        is_admin: patch.is_admin.unwrap_or(user.is_admin),
        updated_at: changes.updated_at,
        ..user
    }
}

/// A repository holding `current` (looked up once by id) that accepts one
/// update whose changes satisfy `check`.
fn updating(
    current: User,
    check: impl Fn(&UserChanges) -> bool + Send + 'static,
) -> MockUserRepository {
    let id = current.id;
    let mut users = MockUserRepository::new();
    let found = current.clone();
    users
        .expect_find_by_id()
        .with(eq(id))
        .times(1)
        .returning(move |_| Ok(Some(found.clone())));
    users
        .expect_update()
        .withf(move |target, changes| *target == id && check(changes))
        .times(1)
        .returning(move |_, changes| Ok(Some(applied(current.clone(), &changes))));
    users
}

fn new_email() -> Email {
    Email::parse("new.address@example.org").unwrap()
}

// --- create -----------------------------------------------------------------

#[tokio::test]
async fn non_admin_creating_a_user_is_forbidden_without_hashing_or_storing() {
    let result = service(untouched(), idle_hasher())
        .create(member(1), registration(), false)
        .await;

    assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn admin_creating_a_user_passes_is_admin_through() {
    for is_admin in [false, true] {
        let mut users = MockUserRepository::new();
        users
            .expect_create()
            .withf(move |new| {
                new.is_admin == is_admin && new.is_active && new.password_hash.as_str() == HASH
            })
            .times(1)
            .returning(|new| Ok(stored(9, new)));

        let created = service(users, hashing_once())
            .create(admin(1), registration(), is_admin)
            .await
            .unwrap();

        assert_eq!(created.is_admin, is_admin);
        assert_eq!(created.id, UserId(9));
    }
}

#[tokio::test]
async fn admin_creating_a_user_with_a_taken_email_is_conflict() {
    let mut users = MockUserRepository::new();
    users
        .expect_create()
        .times(1)
        .returning(|_| Err(RepositoryError::Conflict(ConflictField::Email)));

    let result = service(users, hashing_once())
        .create(admin(1), registration(), false)
        .await;

    assert!(
        matches!(result, Err(UserError::Conflict(ConflictField::Email))),
        "{result:?}"
    );
}

// --- list -------------------------------------------------------------------

#[tokio::test]
async fn non_admin_listing_users_is_forbidden_without_a_store_call() {
    let result = service(untouched(), idle_hasher())
        .list(member(1), ListRequest::default())
        .await;

    assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn admin_listing_users_passes_the_page_through() {
    let page = PageRequest::new(3, 25).unwrap();
    let mut users = MockUserRepository::new();
    users
        .expect_list()
        .with(eq(Window::numbered(page)))
        .times(1)
        .returning(|window| {
            Ok(Page {
                items: vec![user(51, false, true)],
                total: 51,
                request: window.page,
                has_more: false,
            })
        });

    let listed = service(users, idle_hasher())
        .list(admin(1), page.into())
        .await
        .unwrap();

    assert_eq!(listed.page.total, 51);
    assert_eq!(listed.page.request, page);
    assert_eq!(listed.page.items, vec![user(51, false, true)]);
    assert_eq!(listed.next_cursor, None);
}

#[tokio::test]
async fn a_users_page_with_more_after_it_carries_a_cursor_after_its_last_id_that_reads_the_next() {
    let ledger = CursorLedger::default();
    let mut users = MockUserRepository::new();
    users
        .expect_list()
        .with(eq(Window::numbered(PageRequest::new(1, 2).unwrap())))
        .times(1)
        .returning(|window| {
            Ok(Page {
                items: vec![user(4, false, true), user(6, false, true)],
                total: 5,
                request: window.page,
                has_more: true,
            })
        });
    users
        .expect_list()
        .with(eq(Window::after(
            PageRequest::new(2, 2).unwrap(),
            UserId(6),
        )))
        .times(1)
        .returning(|window| {
            Ok(Page {
                items: vec![user(7, false, true)],
                total: 5,
                request: window.page,
                has_more: false,
            })
        });
    let service = service_with_seal(
        users,
        idle_hasher(),
        untouched_sessions(),
        ledger_seal(&ledger),
    );

    let first = service
        .list(admin(1), PageRequest::new(1, 2).unwrap().into())
        .await
        .unwrap();
    let sealed = first.next_cursor.unwrap();
    assert_eq!(
        ledger.lock().unwrap()[0],
        ListCursor {
            list: CursorList::Users { after: UserId(6) },
            caller: UserId(1),
            page: 2,
            page_size: 2,
        }
    );
    let second = service
        .list(
            admin(1),
            ListRequest::Cursor {
                sealed,
                page_size: Some(2),
            },
        )
        .await
        .unwrap();
    assert_eq!(second.page.items, vec![user(7, false, true)]);
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn a_users_cursor_of_another_admin_or_of_a_todo_list_is_refused_without_a_store_call() {
    let ledger = CursorLedger::default();
    let other_admin = seal_into(
        &ledger,
        ListCursor {
            list: CursorList::Users { after: UserId(6) },
            caller: UserId(9),
            page: 2,
            page_size: 10,
        },
    );
    let todo_list = seal_into(
        &ledger,
        ListCursor {
            list: CursorList::Todos {
                completed: None,
                after: crate::pagination::TodoPosition {
                    created_at: long_ago(),
                    id: crate::todo::TodoId(3),
                },
            },
            caller: UserId(1),
            page: 2,
            page_size: 10,
        },
    );
    let service = service_with_seal(
        untouched(),
        idle_hasher(),
        untouched_sessions(),
        ledger_seal(&ledger),
    );
    for sealed in [other_admin, todo_list] {
        let result = service
            .list(
                admin(1),
                ListRequest::Cursor {
                    sealed,
                    page_size: None,
                },
            )
            .await;
        assert!(
            matches!(
                result,
                Err(UserError::InvalidCursor(CursorError::OtherQuery))
            ),
            "{result:?}"
        );
    }
    let result = service
        .list(
            admin(1),
            ListRequest::Cursor {
                sealed: "forged".to_owned(),
                page_size: None,
            },
        )
        .await;
    assert!(
        matches!(
            result,
            Err(UserError::InvalidCursor(CursorError::Unreadable))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn listing_when_the_store_is_unavailable_is_unavailable() {
    let mut users = MockUserRepository::new();
    users
        .expect_list()
        .times(1)
        .returning(|_| Err(unavailable()));

    let result = service(users, idle_hasher())
        .list(admin(1), ListRequest::default())
        .await;

    assert!(
        matches!(result, Err(UserError::Unavailable(_))),
        "{result:?}"
    );
}

// --- get --------------------------------------------------------------------

#[tokio::test]
async fn non_admin_reading_self_is_ok() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .with(eq(UserId(2)))
        .times(1)
        .returning(|_| Ok(Some(user(2, false, true))));

    let found = service(users, idle_hasher())
        .get(member(2), UserId(2))
        .await
        .unwrap();

    assert_eq!(found, user(2, false, true));
}

#[tokio::test]
async fn non_admin_reading_another_existing_user_is_forbidden_without_a_lookup() {
    let result = service(untouched(), idle_hasher())
        .get(member(2), UserId(3))
        .await;

    assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn non_admin_reading_another_missing_user_is_forbidden_not_not_found() {
    // No lookup at all, so whether the id exists cannot leak.
    let result = service(untouched(), idle_hasher())
        .get(member(2), UserId(i64::MAX))
        .await;

    assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn admin_reading_another_user_is_ok() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .with(eq(UserId(3)))
        .times(1)
        .returning(|_| Ok(Some(user(3, false, false))));

    let found = service(users, idle_hasher())
        .get(admin(1), UserId(3))
        .await
        .unwrap();

    assert_eq!(found.id, UserId(3));
}

#[tokio::test]
async fn admin_reading_a_missing_user_is_not_found() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .with(eq(UserId(404)))
        .times(1)
        .returning(|_| Ok(None));

    let result = service(users, idle_hasher())
        .get(admin(1), UserId(404))
        .await;

    assert!(matches!(result, Err(UserError::NotFound)), "{result:?}");
}

// --- update -----------------------------------------------------------------

#[tokio::test]
async fn non_admin_changing_own_is_active_is_forbidden_without_a_store_call() {
    for is_active in [true, false] {
        let patch = UserPatch {
            is_active: Some(is_active),
            ..UserPatch::default()
        };
        let result = service(untouched(), idle_hasher())
            .update(member(2), UserId(2), patch)
            .await;

        assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
    }
}

#[tokio::test]
async fn non_admin_changing_own_is_admin_is_forbidden_without_a_store_call() {
    for is_admin in [true, false] {
        let patch = UserPatch {
            email: Some(new_email()),
            is_admin: Some(is_admin),
            ..UserPatch::default()
        };
        let result = service(untouched(), idle_hasher())
            .update(member(2), UserId(2), patch)
            .await;

        assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
    }
}

#[tokio::test]
async fn non_admin_updating_another_user_is_forbidden_without_a_store_call() {
    let patch = UserPatch {
        email: Some(new_email()),
        ..UserPatch::default()
    };
    let result = service(untouched(), idle_hasher())
        .update(member(2), UserId(3), patch)
        .await;

    assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn updating_own_email_is_ok_and_moves_updated_at_past_a_future_stored_one() {
    let future = in_an_hour();
    let current = User {
        updated_at: future,
        ..user(2, false, true)
    };
    let patch = UserPatch {
        email: Some(new_email()),
        ..UserPatch::default()
    };
    let expected = patch.clone();
    let users = updating(current, move |changes| {
        changes.patch == expected && changes.updated_at > future
    });

    let updated = service(users, idle_hasher())
        .update(member(2), UserId(2), patch)
        .await
        .unwrap();

    assert_eq!(updated.email, new_email());
    assert!(updated.updated_at > future);
}

#[tokio::test]
async fn updating_own_username_stamps_the_current_time() {
    let patch = UserPatch {
        username: Some(Username::parse("renamed").unwrap()),
        ..UserPatch::default()
    };
    let expected = patch.clone();
    let users = updating(user(2, false, true), move |changes| {
        changes.patch == expected
            && changes.updated_at > long_ago()
            && changes.updated_at == fixed_now()
    });

    let updated = service(users, idle_hasher())
        .update(member(2), UserId(2), patch)
        .await
        .unwrap();

    assert_eq!(updated.username.as_str(), "renamed");
}

/// A session store expecting every session of `id` to be ended once.
fn ending_all_sessions_of(id: i64) -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke_all()
        .with(eq(UserId(id)), eq(None), mockall::predicate::always())
        .times(1)
        .returning(|_, _, _| Ok(2));
    sessions.expect_revoke().never();
    sessions
}

#[tokio::test]
async fn admin_may_deactivate_and_promote_another_user() {
    let patch = UserPatch {
        is_active: Some(false),
        is_admin: Some(true),
        ..UserPatch::default()
    };
    let expected = patch.clone();
    let users = updating(user(3, false, true), move |changes| {
        changes.patch == expected
    });

    let updated = service_with_sessions(users, idle_hasher(), ending_all_sessions_of(3))
        .update(admin(1), UserId(3), patch)
        .await
        .unwrap();

    assert!(!updated.is_active);
    assert!(updated.is_admin);
}

#[tokio::test]
async fn admin_deactivating_a_user_ends_all_of_their_sessions_at_the_update_time() {
    let before = fixed_now();
    let written: SharedTime = Arc::default();
    let write = Arc::clone(&written);
    let users = updating(user(3, false, true), move |changes| {
        *write.lock().unwrap() = Some(changes.updated_at);
        changes.patch.is_active == Some(false)
    });
    let read = Arc::clone(&written);
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke_all()
        .withf(move |user_id, keep, at| {
            *user_id == UserId(3)
                && keep.is_none()
                && *at >= before
                && Some(*at) == *read.lock().unwrap()
        })
        .times(1)
        .returning(|_, _, _| Ok(2));
    sessions.expect_revoke().never();
    let patch = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };

    let updated = service_with_sessions(users, idle_hasher(), sessions)
        .update(admin(1), UserId(3), patch)
        .await
        .unwrap();

    assert!(!updated.is_active);
}

#[tokio::test]
async fn a_patch_that_does_not_deactivate_never_touches_sessions() {
    let patches = [
        UserPatch {
            is_active: Some(true),
            ..UserPatch::default()
        },
        UserPatch {
            is_admin: Some(false),
            ..UserPatch::default()
        },
        UserPatch {
            email: Some(new_email()),
            ..UserPatch::default()
        },
        UserPatch::default(),
    ];
    for patch in patches {
        let expected = patch.clone();
        let users = updating(user(3, false, false), move |changes| {
            changes.patch == expected
        });

        let result = service_with_sessions(users, idle_hasher(), untouched_sessions())
            .update(admin(1), UserId(3), patch)
            .await;

        assert!(result.is_ok(), "{result:?}");
    }
}

#[tokio::test]
async fn deactivating_a_missing_user_is_not_found_and_ends_no_session() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .times(1)
        .returning(|_| Ok(Some(user(3, false, true))));
    // Deleted between the read and the write.
    users.expect_update().times(1).returning(|_, _| Ok(None));
    let patch = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };

    let result = service_with_sessions(users, idle_hasher(), untouched_sessions())
        .update(admin(1), UserId(3), patch)
        .await;

    assert!(matches!(result, Err(UserError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn deactivation_when_the_session_store_is_unavailable_is_unavailable() {
    let users = updating(user(3, false, true), |_| true);
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_revoke_all()
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    let patch = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };

    let result = service_with_sessions(users, idle_hasher(), sessions)
        .update(admin(1), UserId(3), patch)
        .await;

    assert!(
        matches!(result, Err(UserError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn update_with_a_taken_username_is_conflict() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .times(1)
        .returning(|_| Ok(Some(user(2, false, true))));
    users
        .expect_update()
        .times(1)
        .returning(|_, _| Err(RepositoryError::Conflict(ConflictField::Username)));
    let patch = UserPatch {
        username: Some(Username::parse("taken").unwrap()),
        ..UserPatch::default()
    };

    let result = service(users, idle_hasher())
        .update(member(2), UserId(2), patch)
        .await;

    assert!(
        matches!(result, Err(UserError::Conflict(ConflictField::Username))),
        "{result:?}"
    );
}

#[tokio::test]
async fn admin_updating_a_missing_user_is_not_found_without_an_update() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .with(eq(UserId(404)))
        .times(1)
        .returning(|_| Ok(None));
    users.expect_update().never();

    let result = service(users, idle_hasher())
        .update(admin(1), UserId(404), UserPatch::default())
        .await;

    assert!(matches!(result, Err(UserError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn update_racing_a_delete_is_not_found() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .times(1)
        .returning(|_| Ok(Some(user(2, false, true))));
    users
        .expect_update()
        .with(eq(UserId(2)), mockall::predicate::always())
        .times(1)
        .returning(|_, _| Ok(None));

    let result = service(users, idle_hasher())
        .update(member(2), UserId(2), UserPatch::default())
        .await;

    assert!(matches!(result, Err(UserError::NotFound)), "{result:?}");
}

// --- delete -----------------------------------------------------------------

#[tokio::test]
async fn non_admin_deleting_self_is_ok() {
    let mut users = MockUserRepository::new();
    users
        .expect_delete()
        .with(eq(UserId(2)))
        .times(1)
        .returning(|_| Ok(true));

    let result = service(users, idle_hasher())
        .delete(member(2), UserId(2))
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn non_admin_deleting_another_user_is_forbidden_without_a_delete() {
    let result = service(untouched(), idle_hasher())
        .delete(member(2), UserId(3))
        .await;

    assert!(matches!(result, Err(UserError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn admin_deleting_another_user_is_ok() {
    let mut users = MockUserRepository::new();
    users
        .expect_delete()
        .with(eq(UserId(3)))
        .times(1)
        .returning(|_| Ok(true));

    let result = service(users, idle_hasher())
        .delete(admin(1), UserId(3))
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn admin_deleting_a_missing_user_is_not_found() {
    let mut users = MockUserRepository::new();
    users
        .expect_delete()
        .with(eq(UserId(404)))
        .times(1)
        .returning(|_| Ok(false));

    let result = service(users, idle_hasher())
        .delete(admin(1), UserId(404))
        .await;

    assert!(matches!(result, Err(UserError::NotFound)), "{result:?}");
}

// --- create_admin -----------------------------------------------------------

/// A repository whose `find_by_login` answers once for the registration's
/// username and once for its email.
fn logins(by_username: Option<User>, by_email: Option<User>) -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_login()
        .with(eq("alice"))
        .times(1)
        .returning(move |_| Ok(by_username.clone()));
    users
        .expect_find_by_login()
        .with(eq("alice@example.com"))
        .times(1)
        .returning(move |_| Ok(by_email.clone()));
    users
}

/// Expects exactly one promotion of `existing` and nothing created.
fn expect_promotion(users: &mut MockUserRepository, existing: User) {
    let id = existing.id;
    let previous = existing.updated_at;
    users
        .expect_update()
        .withf(move |target, changes| {
            *target == id
                && changes.patch
                    == UserPatch {
                        is_admin: Some(true),
                        is_active: Some(true),
                        ..UserPatch::default()
                    }
                && changes.updated_at > previous
        })
        .times(1)
        .returning(move |_, changes| Ok(Some(applied(existing.clone(), &changes))));
    users.expect_create().never();
}

#[tokio::test]
async fn create_admin_creates_an_active_admin_when_nobody_matches() {
    let mut users = logins(None, None);
    users
        .expect_create()
        .withf(|new| {
            new.is_admin
                && new.is_active
                && new.username.as_str() == "alice"
                && new.email.as_str() == "alice@example.com"
                && new.password_hash.as_str() == HASH
        })
        .times(1)
        .returning(|new| Ok(stored(1, new)));
    users.expect_update().never();

    let (created, is_new) = service(users, hashing_once())
        .create_admin(registration())
        .await
        .unwrap();

    assert!(is_new);
    assert!(created.is_admin && created.is_active);
}

#[tokio::test]
async fn create_admin_promotes_and_reactivates_the_user_the_username_names_keeping_the_password() {
    let existing = user(5, false, false);
    let mut users = logins(Some(existing.clone()), None);
    expect_promotion(&mut users, existing);

    let (promoted, is_new) = service(users, idle_hasher())
        .create_admin(registration())
        .await
        .unwrap();

    assert!(!is_new);
    assert!(promoted.is_admin && promoted.is_active);
    assert_eq!(promoted.password_hash.as_str(), HASH);
}

#[tokio::test]
async fn create_admin_promotes_the_user_the_email_names() {
    let existing = User {
        updated_at: in_an_hour(),
        ..user(6, false, true)
    };
    let mut users = logins(None, Some(existing.clone()));
    expect_promotion(&mut users, existing);

    let (promoted, is_new) = service(users, idle_hasher())
        .create_admin(registration())
        .await
        .unwrap();

    assert!(!is_new);
    assert_eq!(promoted.id, UserId(6));
}

#[tokio::test]
async fn create_admin_promotes_once_when_username_and_email_name_the_same_user() {
    let existing = user(5, false, true);
    let mut users = logins(Some(existing.clone()), Some(existing.clone()));
    expect_promotion(&mut users, existing);

    let (promoted, is_new) = service(users, idle_hasher())
        .create_admin(registration())
        .await
        .unwrap();

    assert!(!is_new);
    assert_eq!(promoted.id, UserId(5));
}

#[tokio::test]
async fn create_admin_refuses_as_ambiguous_when_username_and_email_name_two_users() {
    let mut users = logins(Some(user(5, false, true)), Some(user(6, false, true)));
    users.expect_update().never();
    users.expect_create().never();

    let result = service(users, idle_hasher())
        .create_admin(registration())
        .await;

    assert!(
        matches!(result, Err(CreateAdminError::Ambiguous)),
        "{result:?}"
    );
}

#[tokio::test]
async fn create_admin_when_the_store_is_unavailable_is_unavailable() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_login()
        .times(1)
        .returning(|_| Err(unavailable()));
    users.expect_create().never();

    let result = service(users, idle_hasher())
        .create_admin(registration())
        .await;

    assert!(
        matches!(
            result,
            Err(CreateAdminError::User(UserError::Unavailable(_)))
        ),
        "{result:?}"
    );
}
