//! `SeaUserRepository` against a real database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;

use chrono::TimeDelta;
use domain::ports::{TodoRepository, UserRepository};
use domain::{
    ConflictField, Email, FullName, NewUser, PageRequest, PasswordHash, RepositoryError, TodoId,
    User, UserChanges, UserId, UserPatch, Username,
};
use support::{create_todo, create_user, database, instant, new_user, signed_in, todos, users};

fn conflict_on(result: Result<impl std::fmt::Debug, RepositoryError>) -> ConflictField {
    match result {
        Err(RepositoryError::Conflict(field)) => field,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn create_user_returns_the_stored_user_with_a_new_id() {
    let db = database().await;
    let repo = users(&db);
    let new = new_user("alice");

    let alice = repo.create(new.clone()).await.unwrap();
    let bob = create_user(&repo, "bob").await;

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

#[tokio::test]
async fn create_user_with_taken_email_in_other_case_is_conflict_on_email() {
    let db = database().await;
    let repo = users(&db);
    create_user(&repo, "alice").await;

    let same_email = NewUser {
        email: Email::parse("ALICE@Example.COM").unwrap(),
        username: Username::parse("someone_else").unwrap(),
        ..new_user("alice")
    };

    assert_eq!(
        conflict_on(repo.create(same_email).await),
        ConflictField::Email
    );
}

#[tokio::test]
async fn create_user_with_taken_username_in_other_case_is_conflict_on_username() {
    let db = database().await;
    let repo = users(&db);
    create_user(&repo, "alice").await;

    let same_username = NewUser {
        username: Username::parse("ALICE").unwrap(),
        ..new_user("other")
    };

    assert_eq!(
        conflict_on(repo.create(same_username).await),
        ConflictField::Username
    );
}

#[tokio::test]
async fn find_by_id_of_missing_user_is_none() {
    let db = database().await;
    assert_eq!(users(&db).find_by_id(UserId(424_242)).await.unwrap(), None);
}

#[tokio::test]
async fn find_by_login_matches_email_or_username_case_insensitively() {
    let db = database().await;
    let repo = users(&db);
    let alice = create_user(&repo, "Alice_1").await;
    create_user(&repo, "bob").await;

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

#[tokio::test]
async fn list_users_is_ordered_by_id_with_total_and_offset() {
    let db = database().await;
    let repo = users(&db);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(create_user(&repo, &format!("user_{i}")).await.id);
    }

    let first = repo.list(PageRequest::new(1, 2).unwrap()).await.unwrap();
    let third = repo.list(PageRequest::new(3, 2).unwrap()).await.unwrap();
    let beyond = repo.list(PageRequest::new(4, 2).unwrap()).await.unwrap();

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
    assert_eq!(first.request, PageRequest::new(1, 2).unwrap());
}

#[tokio::test]
async fn update_user_writes_only_the_patched_fields_and_updated_at() {
    let db = database().await;
    let repo = users(&db);
    let alice = create_user(&repo, "alice").await;
    let bob = create_user(&repo, "bob").await;
    let later = domain::time::after(domain::time::SystemClock::now(), alice.updated_at);

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

#[tokio::test]
async fn update_user_to_a_taken_email_or_username_is_a_conflict() {
    let db = database().await;
    let repo = users(&db);
    let alice = create_user(&repo, "alice").await;
    create_user(&repo, "bob").await;
    let change = |patch| UserChanges {
        patch,
        updated_at: domain::time::after(domain::time::SystemClock::now(), alice.updated_at),
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

#[tokio::test]
async fn update_user_may_change_the_case_of_its_own_username() {
    let db = database().await;
    let repo = users(&db);
    let alice = create_user(&repo, "alice").await;

    let updated = repo
        .update(
            alice.id,
            UserChanges {
                patch: UserPatch {
                    username: Some(Username::parse("Alice").unwrap()),
                    ..UserPatch::default()
                },
                updated_at: domain::time::after(domain::time::SystemClock::now(), alice.updated_at),
            },
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(updated.username.as_str(), "Alice");
}

#[tokio::test]
async fn update_of_missing_user_is_none() {
    let db = database().await;
    let changes = UserChanges {
        patch: UserPatch {
            is_active: Some(false),
            ..UserPatch::default()
        },
        updated_at: domain::time::SystemClock::now(),
    };
    assert_eq!(users(&db).update(UserId(999), changes).await.unwrap(), None);
}

#[tokio::test]
async fn set_password_replaces_the_hash_and_updated_at_only() {
    let db = database().await;
    let repo = users(&db);
    let alice = create_user(&repo, "alice").await;
    let bob = create_user(&repo, "bob").await;
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

#[tokio::test]
async fn set_password_of_a_missing_user_is_false() {
    let db = database().await;
    let repo = users(&db);

    let changed = repo
        .set_password(
            UserId(4242),
            PasswordHash::new("$2b$12$x"),
            domain::time::SystemClock::now(),
        )
        .await
        .unwrap();

    assert!(!changed);
}

#[tokio::test]
async fn delete_user_reports_whether_a_row_was_deleted() {
    let db = database().await;
    let repo = users(&db);
    let alice = create_user(&repo, "alice").await;

    assert!(repo.delete(alice.id).await.unwrap());
    assert_eq!(repo.find_by_id(alice.id).await.unwrap(), None);
    assert!(!repo.delete(alice.id).await.unwrap());
}

#[tokio::test]
async fn deleting_a_user_deletes_their_todos() {
    let db = database().await;
    let user_repo = users(&db);
    let todo_repo = todos(&db);
    let (alice, alice_in) = signed_in(&db, "alice").await;
    let (_, bob_in) = signed_in(&db, "bob").await;
    let mut alices: Vec<TodoId> = Vec::new();
    for title in ["one", "two"] {
        alices.push(create_todo(&todo_repo, alice_in, title).await.id);
    }
    let bobs = create_todo(&todo_repo, bob_in, "bob's").await;

    assert!(user_repo.delete(alice.id).await.unwrap());

    for id in alices {
        assert_eq!(todo_repo.find_by_id(id).await.unwrap(), None);
    }
    assert_eq!(todo_repo.find_by_id(bobs.id).await.unwrap(), Some(bobs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_username_give_one_success_and_conflicts() {
    let db = database().await;
    let repo = users(&db);

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = repo.clone();
            // One username in varying case, each with its own email.
            let username = if i % 2 == 0 { "racer" } else { "RACER" };
            let user = NewUser {
                username: Username::parse(username).unwrap(),
                email: Email::parse(format!("racer{i}@example.com")).unwrap(),
                ..new_user("racer")
            };
            tokio::spawn(async move { repo.create(user).await })
        })
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(RepositoryError::Conflict(ConflictField::Username)) => conflicts += 1,
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }

    assert_eq!((created, conflicts), (1, 19));
    assert_eq!(repo.list(PageRequest::default()).await.unwrap().total, 1);
}

#[tokio::test]
async fn user_timestamps_round_trip_to_the_microsecond() {
    let db = database().await;
    let repo = users(&db);
    let times = [
        instant("2024-02-29T23:59:59.123456Z"),
        instant("2025-01-01T00:00:00Z"),
        instant("1999-12-31T12:00:00.000001Z"),
        domain::time::SystemClock::now(),
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

#[tokio::test]
async fn text_round_trips_exactly_in_user_fields() {
    let db = database().await;
    let repo = users(&db);
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
