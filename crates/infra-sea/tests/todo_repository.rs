//! `SeaTodoRepository` against a real database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use domain::ports::TodoRepository;
use domain::{
    NewTodo, PageRequest, Priority, TodoChanges, TodoDescription, TodoFilter, TodoId, TodoPatch,
    TodoTitle, UserId,
};
use support::{create_todo_at, create_user, database, instant, new_todo, todos, users};

fn titles(page: &domain::Page<domain::Todo>) -> Vec<&str> {
    page.items.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test]
async fn create_todo_returns_the_stored_todo_and_find_by_id_reads_it() {
    let db = database().await;
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let new = NewTodo {
        priority: Priority::High,
        ..new_todo(alice.id, "write tests")
    };

    let todo = repo.create(new.clone()).await.unwrap();

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
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);

    let todo = repo
        .create(NewTodo {
            description: None,
            ..new_todo(alice.id, "bare")
        })
        .await
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
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let title = "🎉 emoji, \u{200f}עברית RTL\u{200e}, 'single' \"double\" `back`";
    let description = "'; DROP TABLE todos; --\nSELECT * FROM users WHERE '1'='1';\r\n\t\\x00 %_ \u{FEFF} 👨‍👩‍👧‍👦 e\u{301}";

    let todo = repo
        .create(NewTodo {
            title: TodoTitle::parse(title).unwrap(),
            description: Some(TodoDescription::parse(description).unwrap()),
            ..new_todo(alice.id, "x")
        })
        .await
        .unwrap();

    let stored = repo.find_by_id(todo.id).await.unwrap().unwrap();
    assert_eq!(stored.title.as_str(), title);
    assert_eq!(stored.description.unwrap().as_str(), description);

    let empty = repo
        .create(NewTodo {
            description: Some(TodoDescription::parse("").unwrap()),
            ..new_todo(alice.id, "empty description")
        })
        .await
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
    let alice = create_user(&users(&db), "alice").await;
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
        created.push(create_todo_at(&repo, alice.id, title, base + offset).await);
    }
    for done in ["b", "d"] {
        let todo = created.iter().find(|t| t.title.as_str() == done).unwrap();
        repo.update(
            todo.id,
            alice.id,
            TodoChanges {
                patch: TodoPatch {
                    is_completed: Some(true),
                    ..TodoPatch::default()
                },
                updated_at: domain::time::after(todo.updated_at),
            },
        )
        .await
        .unwrap()
        .unwrap();
    }
    let page = PageRequest::new(1, 100).unwrap();

    let all = repo
        .list_for_user(alice.id, TodoFilter::default(), page)
        .await
        .unwrap();
    let completed = repo
        .list_for_user(
            alice.id,
            TodoFilter {
                completed: Some(true),
            },
            page,
        )
        .await
        .unwrap();
    let open = repo
        .list_for_user(
            alice.id,
            TodoFilter {
                completed: Some(false),
            },
            page,
        )
        .await
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
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let at = domain::time::now();
    let first = create_todo_at(&repo, alice.id, "first", at).await;
    let second = create_todo_at(&repo, alice.id, "second", at).await;

    let page = repo
        .list_for_user(alice.id, TodoFilter::default(), PageRequest::default())
        .await
        .unwrap();

    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );
}

#[tokio::test]
async fn list_todos_pagination_has_the_total_and_honours_the_offset() {
    let db = database().await;
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let base = instant("2025-01-01T00:00:00Z");
    for i in 0..7 {
        create_todo_at(
            &repo,
            alice.id,
            &format!("t{i}"),
            base + TimeDelta::minutes(i),
        )
        .await;
    }
    let list = |page, size| {
        let repo = repo.clone();
        async move {
            repo.list_for_user(
                alice.id,
                TodoFilter::default(),
                PageRequest::new(page, size).unwrap(),
            )
            .await
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
    let user_repo = users(&db);
    let alice = create_user(&user_repo, "alice").await;
    let bob = create_user(&user_repo, "bob").await;
    let repo = todos(&db);
    repo.create(new_todo(alice.id, "alice's")).await.unwrap();
    repo.create(new_todo(bob.id, "bob's")).await.unwrap();

    let page = repo
        .list_for_user(bob.id, TodoFilter::default(), PageRequest::default())
        .await
        .unwrap();
    let nobody = repo
        .list_for_user(UserId(9_999), TodoFilter::default(), PageRequest::default())
        .await
        .unwrap();

    assert_eq!(titles(&page), ["bob's"]);
    assert_eq!(page.total, 1);
    assert!(nobody.items.is_empty());
    assert_eq!(nobody.total, 0);
}

#[tokio::test]
async fn update_todo_changes_only_the_patched_fields() {
    let db = database().await;
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let todo = repo.create(new_todo(alice.id, "old title")).await.unwrap();
    let other = repo.create(new_todo(alice.id, "other")).await.unwrap();
    let later = domain::time::after(todo.updated_at);

    let updated = repo
        .update(
            todo.id,
            alice.id,
            TodoChanges {
                patch: TodoPatch {
                    title: Some(TodoTitle::parse("new title").unwrap()),
                    priority: Some(Priority::Low),
                    ..TodoPatch::default()
                },
                updated_at: later,
            },
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
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let todo = repo.create(new_todo(alice.id, "described")).await.unwrap();
    assert!(todo.description.is_some());

    let updated = repo
        .update(
            todo.id,
            alice.id,
            TodoChanges {
                patch: TodoPatch {
                    description: Some(None),
                    ..TodoPatch::default()
                },
                updated_at: domain::time::after(todo.updated_at),
            },
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
    let changes = TodoChanges {
        patch: TodoPatch {
            is_completed: Some(true),
            ..TodoPatch::default()
        },
        updated_at: domain::time::now(),
    };
    assert_eq!(
        todos(&db)
            .update(TodoId(777), UserId(1), changes)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn delete_todo_reports_whether_a_row_was_deleted() {
    let db = database().await;
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let todo = repo.create(new_todo(alice.id, "doomed")).await.unwrap();
    let kept = repo.create(new_todo(alice.id, "kept")).await.unwrap();

    assert!(repo.delete(todo.id, alice.id).await.unwrap());
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), None);
    assert!(!repo.delete(todo.id, alice.id).await.unwrap());
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
    let alice = create_user(&users(&db), "alice").await;
    let mallory = create_user(&users(&db), "mallory").await;
    let repo = todos(&db);
    let todo = repo.create(new_todo(alice.id, "mine")).await.unwrap();

    let stolen = repo
        .update(
            todo.id,
            mallory.id,
            completing(domain::time::after(todo.updated_at)),
        )
        .await
        .unwrap();
    let deleted = repo.delete(todo.id, mallory.id).await.unwrap();

    assert_eq!(stolen, None);
    assert!(!deleted);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
}

#[tokio::test]
async fn update_not_later_than_the_stored_updated_at_changes_nothing() {
    let db = database().await;
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    let todo = repo.create(new_todo(alice.id, "raced")).await.unwrap();
    let later = domain::time::after(todo.updated_at);
    let first = repo
        .update(todo.id, alice.id, completing(later))
        .await
        .unwrap()
        .unwrap();

    // Same instant, then an earlier one: both lose to the stored write, so
    // updated_at never goes backwards or repeats.
    let same = repo
        .update(todo.id, alice.id, completing(later))
        .await
        .unwrap();
    let earlier = repo
        .update(todo.id, alice.id, completing(todo.updated_at))
        .await
        .unwrap();

    assert_eq!(same, None);
    assert_eq!(earlier, None);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(first));
}

#[tokio::test]
async fn todo_timestamps_round_trip_to_the_microsecond() {
    let db = database().await;
    let alice = create_user(&users(&db), "alice").await;
    let repo = todos(&db);
    for created_at in [
        instant("2030-06-15T08:30:45.654321Z"),
        instant("2025-01-01T00:00:00Z"),
        instant("2025-01-01T00:00:00.100Z"),
        domain::time::now(),
    ] {
        let todo = create_todo_at(&repo, alice.id, "timed", created_at).await;
        let stored = repo.find_by_id(todo.id).await.unwrap().unwrap();
        assert_eq!(stored.created_at, created_at);
        assert_eq!(stored.updated_at, created_at);
    }
}
