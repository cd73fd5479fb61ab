//! `SeaTodoRepository` against a real database: the todos, and the
//! session check every request's statement carries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::{ConnectionTrait, Statement};

use chrono::TimeDelta;
use domain::ports::{SessionRepository, TodoRepository, UserRepository};
use domain::{
    LiveSession, NewTodo, NewUser, PageRequest, Priority, TodoChanges, TodoDescription, TodoFilter,
    TodoId, TodoPatch, TodoTitle,
};
use support::{
    check_of, create_session, create_todo, create_todo_at, database, instant, new_todo, sessions,
    signed_in, todos, users,
};

fn titles(page: &domain::Page<domain::Todo>) -> Vec<&str> {
    page.items.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test]
async fn create_todo_returns_the_stored_todo_and_find_by_id_reads_it() {
    let db = database().await;
    let (alice, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let new = NewTodo {
        priority: Priority::High,
        ..new_todo(alice.id, "write tests")
    };

    let todo = repo.create(new.clone(), alice_in).await.unwrap().unwrap();

    assert!(todo.id.0 > 0);
    assert_eq!(todo.title, new.title);
    assert_eq!(todo.description, new.description);
    assert_eq!(todo.priority, Priority::High);
    assert!(!todo.is_completed);
    assert_eq!(todo.user_id, alice.id);
    assert_eq!(todo.created_at, new.created_at);
    assert_eq!(todo.updated_at, new.created_at);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
}

#[tokio::test]
async fn create_todo_without_description_stores_none() {
    let db = database().await;
    let (alice, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);

    let todo = repo
        .create(
            NewTodo {
                description: None,
                ..new_todo(alice.id, "bare")
            },
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        repo.find_by_id(todo.id).await.unwrap().unwrap().description,
        None
    );
}

#[tokio::test]
async fn find_by_id_of_missing_todo_is_none() {
    let db = database().await;
    assert_eq!(todos(&db).find_by_id(TodoId(31_337)).await.unwrap(), None);
}

#[tokio::test]
async fn text_round_trips_exactly() {
    let db = database().await;
    let (alice, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let title = "🎉 emoji, \u{200f}עברית RTL\u{200e}, 'single' \"double\" `back`";
    let description = "'; DROP TABLE todos; --\nSELECT * FROM users WHERE '1'='1';\r\n\t\\x00 %_ \u{FEFF} 👨‍👩‍👧‍👦 e\u{301}";

    let todo = repo
        .create(
            NewTodo {
                title: TodoTitle::parse(title).unwrap(),
                description: Some(TodoDescription::parse(description).unwrap()),
                ..new_todo(alice.id, "x")
            },
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();

    let stored = repo.find_by_id(todo.id).await.unwrap().unwrap();
    assert_eq!(stored.title.as_str(), title);
    assert_eq!(stored.description.unwrap().as_str(), description);

    let empty = repo
        .create(
            NewTodo {
                description: Some(TodoDescription::parse("").unwrap()),
                ..new_todo(alice.id, "empty description")
            },
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();
    let stored = repo.find_by_id(empty.id).await.unwrap().unwrap();
    assert_eq!(
        stored.description.map(|d| d.as_str().to_owned()),
        Some(String::new())
    );
}

#[tokio::test]
async fn list_todos_is_newest_first_and_filters_completed() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    // Fractions of different lengths on purpose: SQLite compares the text.
    let base = instant("2025-05-05T10:00:00Z");
    let offsets = [
        ("a", TimeDelta::zero()),
        ("b", TimeDelta::microseconds(1)),
        ("c", TimeDelta::milliseconds(1)),
        ("d", TimeDelta::seconds(1)),
        ("e", TimeDelta::microseconds(999_999)),
    ];
    let mut created = Vec::new();
    for (title, offset) in offsets {
        created.push(create_todo_at(&repo, alice_in, title, base + offset).await);
    }
    for done in ["b", "d"] {
        let todo = created.iter().find(|t| t.title.as_str() == done).unwrap();
        repo.update(
            todo.id,
            TodoChanges {
                patch: TodoPatch {
                    is_completed: Some(true),
                    ..TodoPatch::default()
                },
                updated_at: domain::time::after(domain::time::SystemClock::now(), todo.updated_at),
            },
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();
    }
    let page = PageRequest::new(1, 100).unwrap();

    let all = repo
        .list_owned(alice_in, TodoFilter::default(), page)
        .await
        .unwrap()
        .unwrap();
    let completed = repo
        .list_owned(
            alice_in,
            TodoFilter {
                completed: Some(true),
            },
            page,
        )
        .await
        .unwrap()
        .unwrap();
    let open = repo
        .list_owned(
            alice_in,
            TodoFilter {
                completed: Some(false),
            },
            page,
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(titles(&all), ["d", "e", "c", "b", "a"]);
    assert_eq!(all.total, 5);
    assert_eq!(titles(&completed), ["d", "b"]);
    assert_eq!(completed.total, 2);
    assert_eq!(titles(&open), ["e", "c", "a"]);
    assert_eq!(open.total, 3);
}

#[tokio::test]
async fn todos_created_at_the_same_instant_are_listed_by_id_descending() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let at = domain::time::SystemClock::now();
    let first = create_todo_at(&repo, alice_in, "first", at).await;
    let second = create_todo_at(&repo, alice_in, "second", at).await;

    let page = repo
        .list_owned(alice_in, TodoFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );
}

#[tokio::test]
async fn list_todos_pagination_has_the_total_and_honours_the_offset() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let base = instant("2025-01-01T00:00:00Z");
    for i in 0..7 {
        create_todo_at(
            &repo,
            alice_in,
            &format!("t{i}"),
            base + TimeDelta::minutes(i),
        )
        .await;
    }
    let list = |page, size| {
        let repo = repo.clone();
        async move {
            repo.list_owned(
                alice_in,
                TodoFilter::default(),
                PageRequest::new(page, size).unwrap(),
            )
            .await
            .unwrap()
            .unwrap()
        }
    };

    let first = list(1, 3).await;
    let second = list(2, 3).await;
    let last = list(3, 3).await;
    let beyond = list(4, 3).await;

    assert_eq!(titles(&first), ["t6", "t5", "t4"]);
    assert_eq!(titles(&second), ["t3", "t2", "t1"]);
    assert_eq!(titles(&last), ["t0"]);
    assert!(beyond.items.is_empty());
    for page in [&first, &second, &last, &beyond] {
        assert_eq!(page.total, 7);
    }
    assert_eq!(second.request, PageRequest::new(2, 3).unwrap());
}

#[tokio::test]
async fn list_todos_shows_only_the_owners() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let (_, bob_in) = signed_in(&db, "bob").await;
    let (_, carol_in) = signed_in(&db, "carol").await;
    let repo = todos(&db);
    create_todo(&repo, alice_in, "alice's").await;
    create_todo(&repo, bob_in, "bob's").await;

    let page = repo
        .list_owned(bob_in, TodoFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .unwrap();
    let nothing = repo
        .list_owned(carol_in, TodoFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .unwrap();

    assert_eq!(titles(&page), ["bob's"]);
    assert_eq!(page.total, 1);
    assert!(nothing.items.is_empty());
    assert_eq!(nothing.total, 0);
}

#[tokio::test]
async fn update_todo_changes_only_the_patched_fields() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "old title").await;
    let other = create_todo(&repo, alice_in, "other").await;
    let later = domain::time::after(domain::time::SystemClock::now(), todo.updated_at);

    let updated = repo
        .update(
            todo.id,
            TodoChanges {
                patch: TodoPatch {
                    title: Some(TodoTitle::parse("new title").unwrap()),
                    priority: Some(Priority::Low),
                    ..TodoPatch::default()
                },
                updated_at: later,
            },
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(updated.title.as_str(), "new title");
    assert_eq!(updated.priority, Priority::Low);
    assert_eq!(updated.description, todo.description);
    assert_eq!(updated.is_completed, todo.is_completed);
    assert_eq!(updated.user_id, todo.user_id);
    assert_eq!(updated.created_at, todo.created_at);
    assert_eq!(updated.updated_at, later);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(updated));
    assert_eq!(repo.find_by_id(other.id).await.unwrap(), Some(other));
}

#[tokio::test]
async fn update_todo_with_description_set_to_none_clears_it() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "described").await;
    assert!(todo.description.is_some());

    let updated = repo
        .update(
            todo.id,
            TodoChanges {
                patch: TodoPatch {
                    description: Some(None),
                    ..TodoPatch::default()
                },
                updated_at: domain::time::after(domain::time::SystemClock::now(), todo.updated_at),
            },
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(updated.description, None);
    assert_eq!(
        repo.find_by_id(todo.id).await.unwrap().unwrap().description,
        None
    );
}

#[tokio::test]
async fn update_of_missing_todo_is_none() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let changes = TodoChanges {
        patch: TodoPatch {
            is_completed: Some(true),
            ..TodoPatch::default()
        },
        updated_at: domain::time::SystemClock::now(),
    };
    assert_eq!(
        todos(&db)
            .update(TodoId(777), changes, alice_in)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn delete_todo_reports_whether_a_row_was_deleted() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "doomed").await;
    let kept = create_todo(&repo, alice_in, "kept").await;

    assert!(repo.delete(todo.id, alice_in).await.unwrap());
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), None);
    assert!(!repo.delete(todo.id, alice_in).await.unwrap());
    assert_eq!(repo.find_by_id(kept.id).await.unwrap(), Some(kept));
}

fn completing(updated_at: chrono::DateTime<chrono::Utc>) -> TodoChanges {
    TodoChanges {
        patch: TodoPatch {
            is_completed: Some(true),
            ..TodoPatch::default()
        },
        updated_at,
    }
}

#[tokio::test]
async fn update_and_delete_by_someone_else_change_nothing() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let (_, mallory_in) = signed_in(&db, "mallory").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "mine").await;

    let stolen = repo
        .update(
            todo.id,
            completing(domain::time::after(
                domain::time::SystemClock::now(),
                todo.updated_at,
            )),
            mallory_in,
        )
        .await
        .unwrap();
    let deleted = repo.delete(todo.id, mallory_in).await.unwrap();

    assert_eq!(stolen, None);
    assert!(!deleted);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
}

#[tokio::test]
async fn update_not_later_than_the_stored_updated_at_changes_nothing() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "raced").await;
    let later = domain::time::after(domain::time::SystemClock::now(), todo.updated_at);
    let first = repo
        .update(todo.id, completing(later), alice_in)
        .await
        .unwrap()
        .unwrap();

    // Same instant, then an earlier one: both lose to the stored write, so
    // updated_at never goes backwards or repeats.
    let same = repo
        .update(todo.id, completing(later), alice_in)
        .await
        .unwrap();
    let earlier = repo
        .update(todo.id, completing(todo.updated_at), alice_in)
        .await
        .unwrap();

    assert_eq!(same, None);
    assert_eq!(earlier, None);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(first));
}

#[tokio::test]
async fn todo_timestamps_round_trip_to_the_microsecond() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    for created_at in [
        instant("2030-06-15T08:30:45.654321Z"),
        instant("2025-01-01T00:00:00Z"),
        instant("2025-01-01T00:00:00.100Z"),
        domain::time::SystemClock::now(),
    ] {
        let todo = create_todo_at(&repo, alice_in, "timed", created_at).await;
        let stored = repo.find_by_id(todo.id).await.unwrap().unwrap();
        assert_eq!(stored.created_at, created_at);
        assert_eq!(stored.updated_at, created_at);
    }
}

// --- the session check ------------------------------------------------------

/// The ways a check can fail, each beside alice's live session: her session
/// revoked, her session checked after it expired, her session presented by
/// another user, and her account deactivated.
async fn failing_checks(
    db: &infra_sea::testing::TestDatabase,
    alice: &domain::User,
) -> Vec<(&'static str, LiveSession)> {
    let sessions = sessions(db);
    let revoked = create_session(&sessions, alice.id, "revoked").await;
    assert!(
        sessions
            .revoke(alice.id, revoked.id, domain::time::SystemClock::now())
            .await
            .unwrap()
    );
    let live = create_session(&sessions, alice.id, "live").await;
    let (_, bob_in) = signed_in(db, "bob").await;
    let carol = users(db)
        .create(NewUser {
            is_active: false,
            ..support::new_user("carol")
        })
        .await
        .unwrap();
    let carols = create_session(&sessions, carol.id, "carol").await;
    vec![
        ("a revoked session", check_of(&revoked)),
        (
            "an expired session",
            LiveSession {
                at: live.expires_at,
                ..check_of(&live)
            },
        ),
        (
            "another user's session",
            LiveSession {
                user: alice.id,
                ..bob_in
            },
        ),
        (
            "a session of another user's id",
            LiveSession {
                user: carol.id,
                ..check_of(&live)
            },
        ),
        ("a deactivated user's session", check_of(&carols)),
    ]
}

#[tokio::test]
async fn checked_statements_do_nothing_unless_the_session_holds() {
    let db = database().await;
    let (alice, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "guarded").await;

    for (what, check) in failing_checks(&db, &alice).await {
        let owner_of_check = NewTodo {
            user_id: check.user,
            ..new_todo(check.user, what)
        };
        assert_eq!(
            repo.create(owner_of_check, check).await.unwrap(),
            None,
            "create with {what}"
        );
        assert_eq!(
            repo.find_owned(todo.id, check).await.unwrap(),
            None,
            "find with {what}"
        );
        for page in [PageRequest::default(), PageRequest::new(9, 10).unwrap()] {
            assert_eq!(
                repo.list_owned(check, TodoFilter::default(), page)
                    .await
                    .unwrap(),
                None,
                "list page {} with {what}",
                page.page()
            );
        }
        let changes = completing(domain::time::after(
            domain::time::SystemClock::now(),
            todo.updated_at,
        ));
        assert_eq!(
            repo.update(todo.id, changes, check).await.unwrap(),
            None,
            "update with {what}"
        );
        assert!(
            !repo.delete(todo.id, check).await.unwrap(),
            "delete with {what}"
        );
    }

    // Nothing was inserted, changed or deleted.
    let listed = repo
        .list_owned(alice_in, TodoFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(listed.items, vec![todo.clone()]);
    let count = db
        .connection()
        .query_one_raw(Statement::from_string(
            db.connection().get_database_backend(),
            "SELECT COUNT(*) AS n FROM todos",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn checked_statements_work_through_a_session_that_holds() {
    let db = database().await;
    let (alice, alice_in) = signed_in(&db, "alice").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "through a session").await;

    assert_eq!(todo.user_id, alice.id);
    assert_eq!(
        repo.find_owned(todo.id, alice_in).await.unwrap(),
        Some(todo.clone())
    );
    let far_page = repo
        .list_owned(
            alice_in,
            TodoFilter::default(),
            PageRequest::new(9, 10).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(far_page.items.is_empty());
    assert_eq!(far_page.total, 1, "an empty page past the end still counts");
    let updated = repo
        .update(
            todo.id,
            completing(domain::time::after(
                domain::time::SystemClock::now(),
                todo.updated_at,
            )),
            alice_in,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(updated.is_completed);
    assert!(repo.delete(todo.id, alice_in).await.unwrap());
}

#[tokio::test]
async fn find_owned_of_someone_elses_todo_is_none() {
    let db = database().await;
    let (_, alice_in) = signed_in(&db, "alice").await;
    let (_, bob_in) = signed_in(&db, "bob").await;
    let repo = todos(&db);
    let todo = create_todo(&repo, alice_in, "alice's").await;

    assert_eq!(repo.find_owned(todo.id, bob_in).await.unwrap(), None);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
}
