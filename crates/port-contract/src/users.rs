//! [`domain::ports::UserRepository`]: uniqueness of email and username
//! (case-insensitively by [`domain::fold_case`], non-ASCII too, also under
//! races; Email when both collide), lookup by login, listing, updates, and
//! deleting a user with everything that is theirs.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::TimeDelta;
use domain::ports::Repositories;
use domain::{
    ConflictField, Email, FullName, NewUser, Page, PageRequest, PasswordHash, RepositoryError,
    TodoId, User, UserChanges, UserId, UserPatch, Username, Window,
};

use crate::support::{
    BASE, after, create_session, create_todo, create_user, instant, new_user, signed_in, token_hash,
};

fn conflict_on(result: Result<impl std::fmt::Debug, RepositoryError>) -> ConflictField {
    match result {
        Err(RepositoryError::Conflict(field)) => field,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub async fn create_returns_the_stored_user_with_a_new_id(ports: Repositories) {
    let repo = &ports.users;
    let new = new_user("alice");

    let alice = repo.create(new.clone()).await.unwrap();
    let bob = create_user(&ports, "bob").await;

    assert!(alice.id.0 > 0);
    assert_ne!(alice.id, bob.id);
    assert_eq!(alice.email, new.email);
    assert_eq!(alice.username, new.username);
    assert_eq!(alice.full_name, new.full_name);
    assert_eq!(alice.password_hash, new.password_hash);
    assert!(alice.is_active);
    assert!(!alice.is_admin);
    assert_eq!(alice.created_at, new.created_at);
    assert_eq!(alice.updated_at, new.created_at);
    assert_eq!(repo.find_by_id(alice.id).await.unwrap(), Some(alice));
}

pub async fn email_is_unique_case_insensitively(ports: Repositories) {
    create_user(&ports, "alice").await;

    let same_email = NewUser {
        email: Email::parse("ALICE@Example.COM").unwrap(),
        username: Username::parse("someone_else").unwrap(),
        ..new_user("alice")
    };

    assert_eq!(
        conflict_on(ports.users.create(same_email).await),
        ConflictField::Email
    );
    assert!(
        ports
            .users
            .find_by_login("someone_else")
            .await
            .unwrap()
            .is_none(),
        "the refused user was stored"
    );
}

pub async fn username_is_unique_case_insensitively(ports: Repositories) {
    create_user(&ports, "alice").await;

    let same_username = NewUser {
        username: Username::parse("ALICE").unwrap(),
        ..new_user("other")
    };

    assert_eq!(
        conflict_on(ports.users.create(same_username).await),
        ConflictField::Username
    );
    assert!(
        ports
            .users
            .find_by_login("other@example.com")
            .await
            .unwrap()
            .is_none(),
        "the refused user was stored"
    );
}

/// A user whose email is `email`, named `name` otherwise.
fn with_email(name: &str, email: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        ..new_user(name)
    }
}

/// `updated_at` one step after the user's.
fn change(user: &User, patch: UserPatch) -> UserChanges {
    UserChanges {
        patch,
        updated_at: after(user.updated_at),
        unverifies_email: false,
    }
}

pub async fn a_non_ascii_email_differing_only_in_case_is_a_conflict_on_create_and_update(
    ports: Repositories,
) {
    let repo = &ports.users;
    let emile = repo
        .create(with_email("emile", "Émile@example.org"))
        .await
        .unwrap();
    let bob = create_user(&ports, "bob").await;

    for email in ["émile@example.org", "ÉMILE@EXAMPLE.ORG"] {
        assert_eq!(
            conflict_on(repo.create(with_email("other", email)).await),
            ConflictField::Email,
            "create with {email:?}"
        );
        let patch = UserPatch {
            email: Some(Email::parse(email).unwrap()),
            ..UserPatch::default()
        };
        assert_eq!(
            conflict_on(repo.update(bob.id, change(&bob, patch)).await),
            ConflictField::Email,
            "update to {email:?}"
        );
    }

    assert_eq!(repo.find_by_id(bob.id).await.unwrap(), Some(bob));
    assert_eq!(repo.find_by_id(emile.id).await.unwrap(), Some(emile));
    assert_eq!(repo.find_by_login("other").await.unwrap(), None);
    assert_eq!(
        repo.list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        2
    );
}

pub async fn find_by_login_matches_a_non_ascii_email_in_any_case(ports: Repositories) {
    let repo = &ports.users;
    let emile = repo
        .create(with_email("emile", "Émile.Zoë@example.org"))
        .await
        .unwrap();
    let other = repo
        .create(with_email("other", "emile.zoe@example.org"))
        .await
        .unwrap();

    for login in [
        "Émile.Zoë@example.org",
        "émile.zoë@example.org",
        "ÉMILE.ZOË@EXAMPLE.ORG",
        "éMILE.zOË@Example.Org",
    ] {
        let found = repo.find_by_login(login).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(emile.id), "login {login:?}");
    }
    // Accents are not case: the unaccented address is another user's.
    let found = repo.find_by_login("EMILE.ZOE@example.org").await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(other.id));
}

pub async fn a_user_colliding_on_both_email_and_username_is_a_conflict_on_email(
    ports: Repositories,
) {
    let repo = &ports.users;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let carol = create_user(&ports, "carol").await;
    let both = |email: &str, username: &str| UserPatch {
        email: Some(Email::parse(email).unwrap()),
        username: Some(Username::parse(username).unwrap()),
        ..UserPatch::default()
    };

    // Both fields of one other row, then the email of one and the username
    // of another.
    for (email, username) in [("ALICE@example.com", "Alice"), ("Alice@Example.com", "BOB")] {
        let new = NewUser {
            email: Email::parse(email).unwrap(),
            username: Username::parse(username).unwrap(),
            ..new_user("x_unused")
        };
        assert_eq!(
            conflict_on(repo.create(new).await),
            ConflictField::Email,
            "create with {email:?} and {username:?}"
        );
        assert_eq!(
            conflict_on(
                repo.update(carol.id, change(&carol, both(email, username)))
                    .await
            ),
            ConflictField::Email,
            "update to {email:?} and {username:?}"
        );
    }

    for user in [alice, bob, carol] {
        assert_eq!(repo.find_by_id(user.id).await.unwrap(), Some(user));
    }
    assert_eq!(
        repo.list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        3
    );
}

pub async fn find_by_id_of_a_missing_user_is_none(ports: Repositories) {
    assert_eq!(ports.users.find_by_id(UserId(424_242)).await.unwrap(), None);
}

pub async fn find_by_login_matches_email_or_username_case_insensitively(ports: Repositories) {
    let repo = &ports.users;
    let alice = create_user(&ports, "Alice_1").await;
    create_user(&ports, "bob").await;

    for login in [
        "Alice_1",
        "alice_1",
        "ALICE_1",
        "Alice_1@example.com",
        "ALICE_1@EXAMPLE.COM",
    ] {
        let found = repo.find_by_login(login).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(alice.id), "login {login:?}");
    }
    for login in [
        "alice",
        "alice_1@example",
        "",
        "%",
        "Alice_%",
        "' OR '1'='1",
    ] {
        assert_eq!(
            repo.find_by_login(login).await.unwrap(),
            None,
            "login {login:?}"
        );
    }
}

pub async fn list_is_ordered_by_id_with_total_and_offset(ports: Repositories) {
    let repo = &ports.users;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(create_user(&ports, &format!("user_{i}")).await.id);
    }
    let mut sorted = ids.clone();
    sorted.sort();

    let first = repo
        .list(PageRequest::new(1, 2).unwrap().into())
        .await
        .unwrap();
    let third = repo
        .list(PageRequest::new(3, 2).unwrap().into())
        .await
        .unwrap();
    let beyond = repo
        .list(PageRequest::new(4, 2).unwrap().into())
        .await
        .unwrap();
    let far = repo
        .list(PageRequest::new(u64::MAX, 100).unwrap().into())
        .await
        .unwrap();

    assert_eq!(ids, sorted, "ids grow in the order of creation");
    assert_eq!(first.total, 5);
    assert_eq!(
        first.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        ids[..2]
    );
    assert_eq!(third.total, 5);
    assert_eq!(
        third.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        ids[4..]
    );
    assert_eq!(beyond.total, 5);
    assert!(beyond.items.is_empty());
    assert_eq!(far.total, 5);
    assert!(far.items.is_empty());
    assert_eq!(first.request, PageRequest::new(1, 2).unwrap());
    assert!(first.has_more);
    assert!(!third.has_more, "the last page has nothing after it");
    assert!(!beyond.has_more && !far.has_more);
}

pub async fn list_after_an_id_reads_the_users_above_it_whether_or_not_it_still_exists(
    ports: Repositories,
) {
    let repo = &ports.users;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(create_user(&ports, &format!("user_{i}")).await.id);
    }
    let size = PageRequest::new(2, 2).unwrap();
    let after = |id| {
        let repo = &repo;
        async move { repo.list(Window::after(size, id)).await.unwrap() }
    };
    let ids_of = |page: &Page<User>| page.items.iter().map(|u| u.id).collect::<Vec<_>>();

    let second = after(ids[1]).await;
    let last = after(ids[3]).await;
    let past_the_end = after(ids[4]).await;
    assert_eq!(ids_of(&second), ids[2..4]);
    assert!(second.has_more);
    assert_eq!(
        second.request, size,
        "the page is reported as the window names it"
    );
    assert_eq!(ids_of(&last), ids[4..]);
    assert!(!last.has_more);
    assert!(past_the_end.items.is_empty());
    assert!(!past_the_end.has_more);
    for page in [&second, &last, &past_the_end] {
        assert_eq!(page.total, 5);
    }

    // The position's user deleted: the page still starts above its id.
    assert!(repo.delete(ids[1]).await.unwrap());
    let without = after(ids[1]).await;
    assert_eq!(ids_of(&without), ids[2..4]);
    assert_eq!(without.total, 4);
}

pub async fn update_writes_only_the_patched_fields_and_updated_at(ports: Repositories) {
    let repo = &ports.users;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let later = after(alice.updated_at);

    let updated = repo
        .update(
            alice.id,
            UserChanges {
                patch: UserPatch {
                    full_name: Some(FullName::parse("Alice Liddell").unwrap()),
                    is_admin: Some(true),
                    ..UserPatch::default()
                },
                updated_at: later,
                unverifies_email: false,
            },
        )
        .await
        .unwrap()
        .expect("alice exists");

    assert_eq!(updated.full_name.as_str(), "Alice Liddell");
    assert!(updated.is_admin);
    assert_eq!(updated.updated_at, later);
    assert_eq!(updated.email, alice.email);
    assert_eq!(updated.username, alice.username);
    assert_eq!(updated.password_hash, alice.password_hash);
    assert_eq!(updated.is_active, alice.is_active);
    assert_eq!(updated.created_at, alice.created_at);
    assert_eq!(repo.find_by_id(alice.id).await.unwrap(), Some(updated));
    assert_eq!(
        repo.find_by_id(bob.id).await.unwrap(),
        Some(bob),
        "other rows untouched"
    );
}

pub async fn update_to_a_taken_email_or_username_is_a_conflict_and_changes_nothing(
    ports: Repositories,
) {
    let repo = &ports.users;
    let alice = create_user(&ports, "alice").await;
    create_user(&ports, "bob").await;
    let change = |patch| UserChanges {
        patch,
        updated_at: after(alice.updated_at),
        unverifies_email: false,
    };

    let email = repo
        .update(
            alice.id,
            change(UserPatch {
                email: Some(Email::parse("Bob@example.com").unwrap()),
                ..UserPatch::default()
            }),
        )
        .await;
    let username = repo
        .update(
            alice.id,
            change(UserPatch {
                username: Some(Username::parse("BOB").unwrap()),
                ..UserPatch::default()
            }),
        )
        .await;

    assert_eq!(conflict_on(email), ConflictField::Email);
    assert_eq!(conflict_on(username), ConflictField::Username);
    assert_eq!(repo.find_by_id(alice.id).await.unwrap(), Some(alice));
}

pub async fn update_may_change_the_case_of_its_own_username(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;

    let updated = ports
        .users
        .update(
            alice.id,
            UserChanges {
                patch: UserPatch {
                    username: Some(Username::parse("Alice").unwrap()),
                    email: Some(Email::parse("ALICE@example.com").unwrap()),
                    ..UserPatch::default()
                },
                updated_at: after(alice.updated_at),
                unverifies_email: false,
            },
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(updated.username.as_str(), "Alice");
    assert_eq!(updated.email.as_str(), "ALICE@example.com");
}

pub async fn update_of_a_missing_user_is_none(ports: Repositories) {
    let changes = UserChanges {
        patch: UserPatch {
            is_active: Some(false),
            ..UserPatch::default()
        },
        updated_at: BASE,
        unverifies_email: false,
    };
    assert_eq!(
        ports.users.update(UserId(999), changes).await.unwrap(),
        None
    );
}

pub async fn set_password_replaces_the_hash_and_updated_at_only(ports: Repositories) {
    let repo = &ports.users;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let later = alice.updated_at + TimeDelta::milliseconds(1500);
    let new_hash = PasswordHash::new("$2b$12$NEWNEWNEWNEWNEWNEWNEWuvwxyzABCDEFGHIJKLMNOPQRSTUVWX");

    assert!(
        repo.set_password(alice.id, new_hash.clone(), later)
            .await
            .unwrap()
    );

    let stored = repo.find_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, new_hash);
    assert_eq!(stored.updated_at, later);
    assert_eq!(
        User {
            password_hash: alice.password_hash.clone(),
            updated_at: alice.updated_at,
            ..stored
        },
        alice
    );
    assert_eq!(repo.find_by_id(bob.id).await.unwrap(), Some(bob));
}

pub async fn set_password_of_a_missing_user_is_false(ports: Repositories) {
    let changed = ports
        .users
        .set_password(UserId(4242), PasswordHash::new("$2b$12$x"), BASE)
        .await
        .unwrap();

    assert!(!changed);
}

pub async fn delete_reports_whether_a_user_was_deleted(ports: Repositories) {
    let repo = &ports.users;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;

    assert!(repo.delete(alice.id).await.unwrap());
    assert_eq!(repo.find_by_id(alice.id).await.unwrap(), None);
    assert_eq!(repo.find_by_login("alice").await.unwrap(), None);
    assert!(!repo.delete(alice.id).await.unwrap());
    assert_eq!(repo.find_by_id(bob.id).await.unwrap(), Some(bob));
    assert_eq!(
        repo.list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        1
    );
}

pub async fn delete_deletes_the_users_todos(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let (_, bob_in) = signed_in(&ports, "bob").await;
    let mut alices: Vec<TodoId> = Vec::new();
    for title in ["one", "two"] {
        alices.push(create_todo(&ports, alice_in, title).await.id);
    }
    let bobs = create_todo(&ports, bob_in, "bob's").await;

    assert!(ports.users.delete(alice.id).await.unwrap());

    for id in alices {
        assert_eq!(ports.todos.find_by_id(id).await.unwrap(), None);
    }
    assert_eq!(ports.todos.find_by_id(bobs.id).await.unwrap(), Some(bobs));
}

pub async fn delete_deletes_the_users_sessions_and_refresh_tokens(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let alices = create_session(&ports, alice.id, "alice-1").await;
    assert!(
        repo.rotate(
            alices.id,
            &token_hash("alice-1"),
            &token_hash("alice-2"),
            BASE + TimeDelta::minutes(1),
        )
        .await
        .unwrap()
    );
    create_session(&ports, alice.id, "alice-other").await;
    let bobs = create_session(&ports, bob.id, "bob").await;

    assert!(ports.users.delete(alice.id).await.unwrap());

    for label in ["alice-1", "alice-2", "alice-other"] {
        assert_eq!(
            repo.find_refresh_token(&token_hash(label)).await.unwrap(),
            None,
            "{label}"
        );
    }
    assert!(repo.list_active(alice.id, BASE).await.unwrap().is_empty());
    assert_eq!(repo.revoke_all(alice.id, None, BASE).await.unwrap(), 0);
    let bobs_token = repo
        .find_refresh_token(&token_hash("bob"))
        .await
        .unwrap()
        .expect("bob's session is untouched");
    assert_eq!(bobs_token.session, bobs);
    assert_eq!(repo.list_active(bob.id, BASE).await.unwrap(), [bobs]);
}

/// 20 creates at once of `user(i)`, which all collide on `field`: exactly
/// one is stored, every other is a conflict naming `field`.
async fn one_of_concurrent_creates_wins(
    ports: Repositories,
    field: ConflictField,
    user: fn(usize) -> NewUser,
) {
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let users = Arc::clone(&ports.users);
            let start = Arc::clone(&start);
            let user = user(i);
            tokio::spawn(async move {
                start.wait().await;
                users.create(user).await
            })
        })
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(RepositoryError::Conflict(f)) if f == field => conflicts += 1,
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }

    assert_eq!((created, conflicts), (1, 19));
    assert_eq!(
        ports
            .users
            .list(PageRequest::default().into())
            .await
            .unwrap()
            .total,
        1
    );
}

pub async fn concurrent_creates_of_one_username_give_one_success_and_conflicts(
    ports: Repositories,
) {
    one_of_concurrent_creates_wins(ports, ConflictField::Username, |i| {
        // One username in varying case, each with its own email.
        let username = if i % 2 == 0 { "racer" } else { "RACER" };
        NewUser {
            username: Username::parse(username).unwrap(),
            email: Email::parse(format!("racer{i}@example.com")).unwrap(),
            ..new_user("racer")
        }
    })
    .await;
}

pub async fn concurrent_creates_of_one_email_give_one_success_and_conflicts(ports: Repositories) {
    one_of_concurrent_creates_wins(ports, ConflictField::Email, |i| {
        // One email in varying case, each with its own username.
        let email = if i % 2 == 0 {
            "racer@example.com"
        } else {
            "Racer@EXAMPLE.com"
        };
        NewUser {
            email: Email::parse(email).unwrap(),
            username: Username::parse(format!("racer_{i}")).unwrap(),
            ..new_user("racer")
        }
    })
    .await;
}

pub async fn concurrent_updates_to_one_username_give_one_success_and_a_conflict(
    ports: Repositories,
) {
    let mut racers = Vec::new();
    for i in 0..10 {
        racers.push(create_user(&ports, &format!("racer_{i}")).await);
    }
    let start = Arc::new(tokio::sync::Barrier::new(racers.len()));
    let tasks: Vec<_> = racers
        .iter()
        .map(|racer| {
            let users = Arc::clone(&ports.users);
            let start = Arc::clone(&start);
            let (id, updated_at) = (racer.id, after(racer.updated_at));
            tokio::spawn(async move {
                let changes = UserChanges {
                    patch: UserPatch {
                        username: Some(Username::parse("Winner").unwrap()),
                        ..UserPatch::default()
                    },
                    updated_at,
                    unverifies_email: false,
                };
                start.wait().await;
                (id, users.update(id, changes).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (id, Ok(Some(user))) => {
                assert_eq!(user.id, id);
                winners.push(id);
            }
            (_, Err(RepositoryError::Conflict(ConflictField::Username))) => {}
            (id, other) => panic!("unexpected outcome for {id:?}: {other:?}"),
        }
    }

    assert_eq!(winners.len(), 1, "{winners:?} all won");
    let found = ports.users.find_by_login("winner").await.unwrap().unwrap();
    assert_eq!(found.id, winners[0]);
    for racer in racers.iter().filter(|r| r.id != winners[0]) {
        assert_eq!(
            ports.users.find_by_id(racer.id).await.unwrap().as_ref(),
            Some(racer),
            "a losing update changed nothing"
        );
    }
}

pub async fn timestamps_round_trip_to_the_microsecond(ports: Repositories) {
    let repo = &ports.users;
    let times = [
        instant("2024-02-29T23:59:59.123456Z"),
        instant("2025-01-01T00:00:00Z"),
        instant("1999-12-31T12:00:00.000001Z"),
        instant("2026-12-02T06:01:56.987654Z"),
    ];

    let mut seen = HashSet::new();
    for (i, created_at) in times.into_iter().enumerate() {
        let user = repo
            .create(NewUser {
                created_at,
                ..new_user(&format!("time_{i}"))
            })
            .await
            .unwrap();
        let stored = repo.find_by_id(user.id).await.unwrap().unwrap();
        assert_eq!(stored.created_at, created_at);
        assert_eq!(stored.updated_at, created_at);
        seen.insert(stored.created_at);

        let later = created_at + TimeDelta::microseconds(1);
        let updated = repo
            .update(
                user.id,
                UserChanges {
                    patch: UserPatch::default(),
                    updated_at: later,
                    unverifies_email: false,
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.updated_at, later);
        assert_eq!(
            repo.find_by_id(user.id).await.unwrap().unwrap().updated_at,
            later
        );
    }
    assert_eq!(seen.len(), 4);
}

pub async fn text_round_trips_exactly(ports: Repositories) {
    let repo = &ports.users;
    let full_name = "Zoë 👩‍💻 \u{200f}مرحبا\u{200e} O'Brien \"quoted\" '; DROP TABLE users; -- \\ %_";
    let user = repo
        .create(NewUser {
            full_name: FullName::parse(full_name).unwrap(),
            email: Email::parse("o'brien+tag@example.com").unwrap(),
            password_hash: PasswordHash::new("$2b$12$'\"; --"),
            ..new_user("obrien")
        })
        .await
        .unwrap();

    let stored = repo.find_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(stored.full_name.as_str(), full_name);
    assert_eq!(stored.email.as_str(), "o'brien+tag@example.com");
    assert_eq!(stored.password_hash.as_str(), "$2b$12$'\"; --");
    assert_eq!(
        repo.find_by_login("O'BRIEN+TAG@example.com")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(user.id)
    );
}
