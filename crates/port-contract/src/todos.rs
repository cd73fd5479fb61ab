//! [`domain::ports::TodoRepository`]: todos reached only through their
//! owner's live session ([`domain::LiveCredential::admits`]), listed newest
//! first with filters, pages and totals, and updated only forward in time.

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::Repositories;
use domain::{
    LiveCredential, NewTodo, NewUser, Page, PageRequest, Priority, Todo, TodoChanges,
    TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle, User, UserChanges, UserPatch,
    Window,
};

use crate::support::{
    BASE, after, create_session, create_todo, create_todo_at, instant, live, new_todo, new_user,
    signed_in,
};

fn titles(page: &Page<Todo>) -> Vec<&str> {
    page.items.iter().map(|t| t.title.as_str()).collect()
}

fn completing(updated_at: DateTime<Utc>) -> TodoChanges {
    TodoChanges {
        patch: TodoPatch {
            is_completed: Some(true),
            ..TodoPatch::default()
        },
        updated_at,
    }
}

async fn all_of(ports: &Repositories, caller: LiveCredential) -> Page<Todo> {
    ports
        .todos
        .list_owned(
            caller,
            TodoFilter::default(),
            PageRequest::new(1, 100).unwrap().into(),
        )
        .await
        .unwrap()
        .expect("the session is live")
}

pub async fn create_returns_the_stored_todo_and_find_by_id_reads_it(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
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
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo.clone()));
    assert_eq!(
        repo.find_owned(todo.id, alice_in).await.unwrap(),
        Some(todo)
    );
}

pub async fn create_without_description_stores_none(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;

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

    assert_eq!(todo.description, None);
    assert_eq!(
        repo.find_by_id(todo.id).await.unwrap().unwrap().description,
        None
    );
}

pub async fn ids_are_never_reused(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    let mut seen = Vec::new();
    for round in 0..3 {
        // Deleting the newest todo (the highest id) must not free its id.
        let todo = create_todo(&ports, alice_in, &format!("round {round}")).await;
        assert!(!seen.contains(&todo.id), "{:?} was reused", todo.id);
        seen.push(todo.id);
        assert!(repo.delete(todo.id, alice_in).await.unwrap());
    }
    let (_, bob_in) = signed_in(&ports, "bob").await;
    let bobs = create_todo(&ports, bob_in, "bob's").await;
    assert!(!seen.contains(&bobs.id), "{:?} was reused", bobs.id);
}

pub async fn find_by_id_of_a_missing_todo_is_none(ports: Repositories) {
    assert_eq!(ports.todos.find_by_id(TodoId(31_337)).await.unwrap(), None);
}

pub async fn text_round_trips_exactly(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
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

pub async fn list_is_newest_first_and_filters_completed(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
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
        created.push(create_todo_at(&ports, alice_in, title, base + offset).await);
    }
    for done in ["b", "d"] {
        let todo = created.iter().find(|t| t.title.as_str() == done).unwrap();
        repo.update(todo.id, completing(after(todo.updated_at)), alice_in)
            .await
            .unwrap()
            .unwrap();
    }
    let page = PageRequest::new(1, 100).unwrap();
    let list = |completed| async move {
        repo.list_owned(alice_in, TodoFilter { completed }, page.into())
            .await
            .unwrap()
            .unwrap()
    };

    let all = list(None).await;
    let completed = list(Some(true)).await;
    let open = list(Some(false)).await;

    assert_eq!(titles(&all), ["d", "e", "c", "b", "a"]);
    assert_eq!(all.total, 5);
    assert_eq!(titles(&completed), ["d", "b"]);
    assert_eq!(completed.total, 2);
    assert!(completed.items.iter().all(|t| t.is_completed));
    assert_eq!(titles(&open), ["e", "c", "a"]);
    assert_eq!(open.total, 3);
    assert!(open.items.iter().all(|t| !t.is_completed));
    // A filter and a page together: the total is of the filtered todos.
    let second_open = repo
        .list_owned(
            alice_in,
            TodoFilter {
                completed: Some(false),
            },
            PageRequest::new(2, 2).unwrap().into(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(titles(&second_open), ["a"]);
    assert_eq!(second_open.total, 3);
}

pub async fn todos_created_at_the_same_instant_are_listed_by_id_descending(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let at = BASE + TimeDelta::microseconds(7);
    let first = create_todo_at(&ports, alice_in, "first", at).await;
    let second = create_todo_at(&ports, alice_in, "second", at).await;
    let third = create_todo_at(&ports, alice_in, "third", at).await;

    let page = ports
        .todos
        .list_owned(
            alice_in,
            TodoFilter::default(),
            PageRequest::default().into(),
        )
        .await
        .unwrap()
        .unwrap();

    let mut by_id_descending = vec![first.id, second.id, third.id];
    by_id_descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        by_id_descending
    );
    assert_eq!(by_id_descending, [third.id, second.id, first.id]);
}

pub async fn list_pagination_has_the_total_and_honours_the_offset(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let base = instant("2025-01-01T00:00:00Z");
    for i in 0..7 {
        create_todo_at(
            &ports,
            alice_in,
            &format!("t{i}"),
            base + TimeDelta::minutes(i),
        )
        .await;
    }
    let list = |page, size| {
        let repo = &ports.todos;
        async move {
            repo.list_owned(
                alice_in,
                TodoFilter::default(),
                PageRequest::new(page, size).unwrap().into(),
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
    let far = list(u64::MAX, 100).await;

    assert_eq!(titles(&first), ["t6", "t5", "t4"]);
    assert_eq!(titles(&second), ["t3", "t2", "t1"]);
    assert_eq!(titles(&last), ["t0"]);
    assert!(beyond.items.is_empty());
    assert!(far.items.is_empty());
    for page in [&first, &second, &last, &beyond, &far] {
        assert_eq!(page.total, 7);
    }
    assert_eq!(second.request, PageRequest::new(2, 3).unwrap());
    assert!(first.has_more && second.has_more);
    assert!(!last.has_more, "the last page has nothing after it");
    assert!(!beyond.has_more && !far.has_more);
    // A page that ends exactly at the last todo has nothing after it.
    let exact = list(1, 7).await;
    assert_eq!(exact.items.len(), 7);
    assert!(!exact.has_more);
    assert!(list(1, 6).await.has_more);
}

/// Walks every page of `caller`'s todos matching `filter` by keyset, `size`
/// at a time, checking each page's total and `has_more`.
async fn walk_by_keyset(
    ports: &Repositories,
    caller: LiveCredential,
    filter: TodoFilter,
    size: u64,
) -> Vec<Todo> {
    let mut seen = Vec::new();
    let mut window = Window::numbered(PageRequest::new(1, size).unwrap());
    let expected_total = all_of(ports, caller)
        .await
        .items
        .into_iter()
        .filter(|t| filter.completed.is_none_or(|done| t.is_completed == done));
    let expected_total = expected_total.count() as u64;
    for page_number in 1.. {
        let page = ports
            .todos
            .list_owned(caller, filter, window)
            .await
            .unwrap()
            .expect("the session is live");
        assert_eq!(page.total, expected_total, "page {page_number}");
        assert_eq!(page.request, window.page);
        assert!(page.items.len() as u64 <= size);
        seen.extend(page.items.iter().cloned());
        let Some(last) = page.items.last() else {
            assert!(!page.has_more);
            break;
        };
        if !page.has_more {
            break;
        }
        window = Window::after(
            PageRequest::new(page_number + 1, size).unwrap(),
            last.position(),
        );
        assert!(page_number < 100, "the walk does not end");
    }
    seen
}

pub async fn keyset_pages_walk_the_list_in_order_without_gaps_or_repeats(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let (_, bob_in) = signed_in(&ports, "bob").await;
    let base = instant("2025-03-01T12:00:00Z");
    // Ties on created_at (ordered by id), neighbours a microsecond apart,
    // and insertion out of time order.
    let at = [
        TimeDelta::seconds(5),
        TimeDelta::seconds(5),
        TimeDelta::seconds(5),
        TimeDelta::microseconds(1),
        TimeDelta::zero(),
        TimeDelta::seconds(9),
        TimeDelta::microseconds(999_999),
        TimeDelta::seconds(5),
    ];
    for (i, offset) in at.into_iter().enumerate() {
        create_todo_at(&ports, alice_in, &format!("t{i}"), base + offset).await;
        create_todo_at(&ports, bob_in, &format!("bob{i}"), base + offset).await;
    }
    let everything = all_of(&ports, alice_in).await.items;

    for size in [1, 2, 3, 8, 100] {
        let walked = walk_by_keyset(&ports, alice_in, TodoFilter::default(), size).await;
        assert_eq!(walked, everything, "pages of {size}");
    }
}

pub async fn keyset_pages_keep_the_filter_and_continue_below_a_deleted_position(
    ports: Repositories,
) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let base = instant("2025-03-02T00:00:00Z");
    let mut created = Vec::new();
    for i in 0..9 {
        created.push(
            create_todo_at(
                &ports,
                alice_in,
                &format!("t{i}"),
                base + TimeDelta::minutes(i),
            )
            .await,
        );
    }
    for todo in created.iter().step_by(3) {
        ports
            .todos
            .update(todo.id, completing(after(todo.updated_at)), alice_in)
            .await
            .unwrap()
            .unwrap();
    }
    let open = TodoFilter {
        completed: Some(false),
    };
    let walked = walk_by_keyset(&ports, alice_in, open, 2).await;
    assert_eq!(
        walked.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        ["t8", "t7", "t5", "t4", "t2", "t1"]
    );
    let done = walk_by_keyset(
        &ports,
        alice_in,
        TodoFilter {
            completed: Some(true),
        },
        2,
    )
    .await;
    assert_eq!(
        done.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        ["t6", "t3", "t0"]
    );

    // The todo a cursor stands on is deleted: the next page still starts
    // right below its position.
    let t5 = &created[5];
    assert!(ports.todos.delete(t5.id, alice_in).await.unwrap());
    let below = ports
        .todos
        .list_owned(
            alice_in,
            open,
            Window::after(PageRequest::new(3, 2).unwrap(), t5.position()),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(titles(&below), ["t4", "t2"]);
    assert!(below.has_more);
    assert_eq!(below.total, 5);
    // Past the oldest: empty, with the exact total and nothing after.
    let past = ports
        .todos
        .list_owned(
            alice_in,
            open,
            Window::after(PageRequest::new(9, 2).unwrap(), created[0].position()),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(past.items.is_empty());
    assert!(!past.has_more);
    assert_eq!(past.total, 5);
}

pub async fn list_shows_only_the_owners(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let (_, bob_in) = signed_in(&ports, "bob").await;
    let (_, carol_in) = signed_in(&ports, "carol").await;
    create_todo(&ports, alice_in, "alice's").await;
    create_todo(&ports, bob_in, "bob's").await;

    let page = all_of(&ports, bob_in).await;
    let nothing = all_of(&ports, carol_in).await;

    assert_eq!(titles(&page), ["bob's"]);
    assert_eq!(page.total, 1);
    assert!(nothing.items.is_empty());
    assert_eq!(nothing.total, 0);
}

pub async fn update_changes_only_the_patched_fields(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "old title").await;
    let other = create_todo(&ports, alice_in, "other").await;
    let later = after(todo.updated_at);

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

    assert_eq!(updated.id, todo.id);
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

pub async fn update_with_description_set_to_none_clears_it(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "described").await;
    assert!(todo.description.is_some());

    let updated = repo
        .update(
            todo.id,
            TodoChanges {
                patch: TodoPatch {
                    description: Some(None),
                    ..TodoPatch::default()
                },
                updated_at: after(todo.updated_at),
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

pub async fn update_of_a_missing_todo_is_none(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    assert_eq!(
        ports
            .todos
            .update(TodoId(777), completing(after(BASE)), alice_in)
            .await
            .unwrap(),
        None
    );
    assert_eq!(ports.todos.find_by_id(TodoId(777)).await.unwrap(), None);
}

pub async fn delete_reports_whether_a_todo_was_deleted(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "doomed").await;
    let kept = create_todo(&ports, alice_in, "kept").await;

    assert!(repo.delete(todo.id, alice_in).await.unwrap());
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), None);
    assert!(!repo.delete(todo.id, alice_in).await.unwrap());
    assert_eq!(repo.find_by_id(kept.id).await.unwrap(), Some(kept));
}

pub async fn update_and_delete_by_someone_else_change_nothing(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let (_, mallory_in) = signed_in(&ports, "mallory").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "mine").await;

    let stolen = repo
        .update(todo.id, completing(after(todo.updated_at)), mallory_in)
        .await
        .unwrap();
    let deleted = repo.delete(todo.id, mallory_in).await.unwrap();

    assert_eq!(stolen, None);
    assert!(!deleted);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
}

pub async fn update_not_later_than_the_stored_updated_at_changes_nothing(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "raced").await;
    let later = after(todo.updated_at);
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
    let one_microsecond_later = repo
        .update(
            todo.id,
            TodoChanges {
                patch: TodoPatch {
                    priority: Some(Priority::High),
                    ..TodoPatch::default()
                },
                updated_at: later + TimeDelta::microseconds(1),
            },
            alice_in,
        )
        .await
        .unwrap()
        .expect("a microsecond later is later");

    assert_eq!(same, None);
    assert_eq!(earlier, None);
    assert_eq!(
        one_microsecond_later,
        Todo {
            priority: Priority::High,
            updated_at: later + TimeDelta::microseconds(1),
            ..first
        }
    );
    assert_eq!(
        repo.find_by_id(todo.id).await.unwrap(),
        Some(one_microsecond_later)
    );
}

pub async fn timestamps_round_trip_to_the_microsecond(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    for created_at in [
        instant("2030-06-15T08:30:45.654321Z"),
        instant("2025-01-01T00:00:00Z"),
        instant("2025-01-01T00:00:00.100Z"),
        instant("2026-12-02T06:01:56.000001Z"),
    ] {
        let todo = create_todo_at(&ports, alice_in, "timed", created_at).await;
        let stored = repo.find_by_id(todo.id).await.unwrap().unwrap();
        assert_eq!(stored.created_at, created_at);
        assert_eq!(stored.updated_at, created_at);
    }
}

/// The callers that [`domain::LiveCredential::admits`] refuses, each beside
/// alice's live session: her session revoked, her session at the instant it
/// expires, another user's session presented as hers, her session presented
/// by another user's id, and a deactivated user's session. Also returns
/// bob's and carol's users (whose todos a wrongly admitted create would
/// add to) and bob's live caller.
async fn refused_callers(
    ports: &Repositories,
    alice: &User,
) -> (Vec<(&'static str, LiveCredential)>, LiveCredential, User) {
    let revoked = create_session(ports, alice.id, "revoked").await;
    assert!(
        ports
            .sessions
            .revoke(alice.id, revoked.id, BASE)
            .await
            .unwrap()
    );
    let alive = create_session(ports, alice.id, "live").await;
    let (_, bob_in) = signed_in(ports, "bob").await;
    let carol = ports
        .users
        .create(NewUser {
            is_active: false,
            ..new_user("carol")
        })
        .await
        .unwrap();
    let carols = create_session(ports, carol.id, "carol").await;
    let callers = vec![
        ("a revoked session", live(&revoked)),
        (
            "an expired session",
            LiveCredential {
                at: alive.expires_at,
                ..live(&alive)
            },
        ),
        (
            "another user's session",
            LiveCredential {
                user: alice.id,
                ..bob_in
            },
        ),
        (
            "a session of another user's id",
            LiveCredential {
                user: carol.id,
                ..live(&alive)
            },
        ),
        ("a deactivated user's session", live(&carols)),
    ];
    (callers, bob_in, carol)
}

pub async fn nothing_is_done_unless_the_session_is_live(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "guarded").await;
    let (callers, bob_in, carol) = refused_callers(&ports, &alice).await;

    for (what, caller) in callers {
        let owner_of_caller = new_todo(caller.user, what);
        assert_eq!(
            repo.create(owner_of_caller, caller).await.unwrap(),
            None,
            "create with {what}"
        );
        assert_eq!(
            repo.find_owned(todo.id, caller).await.unwrap(),
            None,
            "find with {what}"
        );
        for page in [PageRequest::default(), PageRequest::new(9, 10).unwrap()] {
            for completed in [None, Some(false)] {
                assert_eq!(
                    repo.list_owned(caller, TodoFilter { completed }, page.into())
                        .await
                        .unwrap(),
                    None,
                    "list page {} with {what}",
                    page.page()
                );
            }
        }
        assert_eq!(
            repo.update(todo.id, completing(after(todo.updated_at)), caller)
                .await
                .unwrap(),
            None,
            "update with {what}"
        );
        assert!(
            !repo.delete(todo.id, caller).await.unwrap(),
            "delete with {what}"
        );
    }

    // Nothing was inserted, changed or deleted, for anyone a refused caller
    // named: alice, bob, or carol (seen once she is active again).
    assert_eq!(all_of(&ports, alice_in).await.items, vec![todo.clone()]);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
    assert_eq!(all_of(&ports, bob_in).await.total, 0);
    let carol_in = live(&create_session(&ports, carol.id, "carol again").await);
    ports
        .users
        .update(
            carol.id,
            UserChanges {
                patch: UserPatch {
                    is_active: Some(true),
                    ..UserPatch::default()
                },
                updated_at: after(carol.updated_at),
                unverifies_email: false,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all_of(&ports, carol_in).await.total, 0);
}

pub async fn nothing_is_done_for_a_deleted_user(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let (_, bob_in) = signed_in(&ports, "bob").await;
    let bobs = create_todo(&ports, bob_in, "bob's").await;
    let repo = &ports.todos;
    assert!(ports.users.delete(alice.id).await.unwrap());

    assert_eq!(
        repo.create(new_todo(alice.id, "ghost"), alice_in)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        repo.list_owned(
            alice_in,
            TodoFilter::default(),
            PageRequest::default().into()
        )
        .await
        .unwrap(),
        None
    );
    // Her caller presented with bob's todo: someone else's, and no live
    // session either.
    assert_eq!(repo.find_owned(bobs.id, alice_in).await.unwrap(), None);
    assert_eq!(
        repo.update(bobs.id, completing(after(bobs.updated_at)), alice_in)
            .await
            .unwrap(),
        None
    );
    assert!(!repo.delete(bobs.id, alice_in).await.unwrap());
    assert_eq!(repo.find_by_id(bobs.id).await.unwrap(), Some(bobs.clone()));
    assert_eq!(all_of(&ports, bob_in).await.items, vec![bobs]);
}

pub async fn everything_works_through_a_live_session(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let repo = &ports.todos;
    // A session that expires a microsecond after the caller's instant is
    // still live then.
    let session = ports
        .sessions
        .create(domain::NewSession {
            expires_at: BASE + TimeDelta::microseconds(1),
            ..crate::support::new_session(alice.id, "nearly over", BASE)
        })
        .await
        .unwrap();
    let nearly_over = live(&session);
    let todo = create_todo(&ports, alice_in, "through a session").await;

    assert_eq!(todo.user_id, alice.id);
    for caller in [alice_in, nearly_over] {
        assert_eq!(
            repo.find_owned(todo.id, caller).await.unwrap(),
            Some(todo.clone())
        );
        let far_page = repo
            .list_owned(
                caller,
                TodoFilter::default(),
                PageRequest::new(9, 10).unwrap().into(),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(far_page.items.is_empty());
        assert_eq!(far_page.total, 1, "an empty page past the end still counts");
    }
    let updated = repo
        .update(todo.id, completing(after(todo.updated_at)), nearly_over)
        .await
        .unwrap()
        .unwrap();
    assert!(updated.is_completed);
    assert!(repo.delete(todo.id, alice_in).await.unwrap());
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), None);
}

pub async fn find_owned_of_someone_elses_todo_is_none(ports: Repositories) {
    let (_, alice_in) = signed_in(&ports, "alice").await;
    let (_, bob_in) = signed_in(&ports, "bob").await;
    let repo = &ports.todos;
    let todo = create_todo(&ports, alice_in, "alice's").await;

    assert_eq!(repo.find_owned(todo.id, bob_in).await.unwrap(), None);
    assert_eq!(repo.find_by_id(todo.id).await.unwrap(), Some(todo));
}

/// A personal access token of `user` made at [`BASE`], hashed as `label`.
async fn personal_token(
    ports: &Repositories,
    user: &User,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
) -> domain::PersonalToken {
    ports
        .personal_tokens
        .create(domain::NewPersonalToken {
            user_id: user.id,
            name: domain::TokenName::parse(label).unwrap(),
            scopes: domain::TokenScopes::ALL,
            hash: domain::PersonalTokenHash::new(format!("todos-{label}")),
            created_at: BASE,
            expires_at,
        })
        .await
        .unwrap()
}

/// Whether every checked method works for `caller` (`true`: the todo it
/// makes is found, listed, updated and deleted) or none does (`false`:
/// each answers empty and nothing changes).
async fn every_method_works(ports: &Repositories, caller: LiveCredential, what: &str) -> bool {
    let repo = &ports.todos;
    let Some(todo) = repo
        .create(new_todo(caller.user, what), caller)
        .await
        .unwrap()
    else {
        assert_eq!(
            repo.find_owned(TodoId(1), caller).await.unwrap(),
            None,
            "{what}"
        );
        assert_eq!(
            repo.list_owned(caller, TodoFilter::default(), PageRequest::default().into())
                .await
                .unwrap(),
            None,
            "{what}"
        );
        return false;
    };
    assert_eq!(
        repo.find_owned(todo.id, caller).await.unwrap(),
        Some(todo.clone()),
        "{what}"
    );
    let page = repo
        .list_owned(caller, TodoFilter::default(), PageRequest::default().into())
        .await
        .unwrap()
        .expect("listed");
    assert!(page.items.contains(&todo), "{what}");
    assert!(
        repo.update(todo.id, completing(after(todo.updated_at)), caller)
            .await
            .unwrap()
            .is_some()
    );
    assert!(repo.delete(todo.id, caller).await.unwrap(), "{what}");
    true
}

pub async fn a_personal_token_reaches_the_todos_only_while_live(ports: Repositories) {
    let (alice, alice_in) = signed_in(&ports, "alice").await;
    let bob = ports.users.create(new_user("bob")).await.unwrap();
    let expires = BASE + TimeDelta::days(1);
    let token = personal_token(&ports, &alice, "alices", Some(expires)).await;
    let through = |token: domain::PersonalTokenId, at| LiveCredential {
        user: alice.id,
        credential: domain::Credential::PersonalToken(token),
        at,
    };

    assert!(every_method_works(&ports, through(token.id, BASE), "a live token").await);
    let nearly = expires - TimeDelta::microseconds(1);
    assert!(
        every_method_works(
            &ports,
            through(token.id, nearly),
            "a token a moment before it expires"
        )
        .await
    );
    assert!(!every_method_works(&ports, through(token.id, expires), "a token at its expiry").await);
    let as_bob = LiveCredential {
        user: bob.id,
        ..through(token.id, BASE)
    };
    assert!(!every_method_works(&ports, as_bob, "someone else's token").await);
    // A session's id is not a token's: the kinds never stand in for each
    // other (alice's session and token may well share an id).
    let session_id = alice_in.credential.session().unwrap();
    let session_as_token = through(domain::PersonalTokenId(session_id.0 + 1000), BASE);
    assert!(!every_method_works(&ports, session_as_token, "an unknown token id").await);

    assert!(
        ports
            .personal_tokens
            .revoke(alice.id, token.id, BASE)
            .await
            .unwrap()
    );
    assert!(!every_method_works(&ports, through(token.id, BASE), "a revoked token").await);
    assert!(every_method_works(&ports, alice_in, "the session, still live").await);
}

pub async fn a_deactivated_users_personal_token_reaches_nothing(ports: Repositories) {
    let alice = ports.users.create(new_user("alice")).await.unwrap();
    let token = personal_token(&ports, &alice, "alices", None).await;
    let caller = LiveCredential {
        user: alice.id,
        credential: domain::Credential::PersonalToken(token.id),
        at: BASE,
    };
    ports
        .users
        .update(
            alice.id,
            UserChanges {
                patch: UserPatch {
                    is_active: Some(false),
                    ..UserPatch::default()
                },
                updated_at: after(alice.updated_at),
                unverifies_email: false,
            },
        )
        .await
        .unwrap()
        .unwrap();

    assert!(!every_method_works(&ports, caller, "a deactivated user's token").await);
}
