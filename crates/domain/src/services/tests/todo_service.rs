//! Todos: every user reaches only their own.

use std::sync::Arc;

use mockall::predicate::{always, eq};

use super::{admin, in_an_hour, long_ago, member, stored_todo, todo, unavailable};
use crate::pagination::{Page, PageRequest};
use crate::ports::MockTodoRepository;
use crate::services::{TodoError, TodoService};
use crate::time;
use crate::todo::{Priority, Todo, TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle};
use crate::user::UserId;

fn service(todos: MockTodoRepository) -> TodoService {
    TodoService::new(Arc::new(todos))
}

/// A repository where todo `id` is looked up once and answers `found`, and
/// which must neither update nor delete.
fn holding(id: i64, found: Option<Todo>) -> MockTodoRepository {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_by_id()
        .with(eq(TodoId(id)))
        .times(1)
        .returning(move |_| Ok(found.clone()));
    todos.expect_update().never();
    todos.expect_delete().never();
    todos
}

/// A repository where todo `id` is looked up once and found; the test sets up
/// what follows.
fn holding_then(id: i64, found: Todo) -> MockTodoRepository {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_by_id()
        .with(eq(TodoId(id)))
        .times(1)
        .returning(move |_| Ok(Some(found.clone())));
    todos
}

fn completed() -> TodoPatch {
    TodoPatch {
        is_completed: Some(true),
        ..TodoPatch::default()
    }
}

// --- create -----------------------------------------------------------------

#[tokio::test]
async fn create_uses_the_actor_as_owner_and_defaults_priority_to_medium() {
    let before = time::now();
    let mut todos = MockTodoRepository::new();
    todos
        .expect_create()
        .withf(move |new| {
            new.user_id == UserId(2)
                && new.priority == Priority::Medium
                && new.title.as_str() == "buy milk"
                && new.description.is_none()
                && new.created_at >= before
                && new.created_at <= time::now()
        })
        .times(1)
        .returning(|new| Ok(stored_todo(10, new)));

    let created = service(todos)
        .create(member(2), TodoTitle::parse("buy milk").unwrap(), None, None)
        .await
        .unwrap();

    assert_eq!(created.user_id, UserId(2));
    assert_eq!(created.priority, Priority::Medium);
}

#[tokio::test]
async fn create_keeps_an_explicit_priority_and_description() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_create()
        .withf(|new| {
            new.priority == Priority::High
                && new.description.as_ref().map(TodoDescription::as_str) == Some("two litres")
        })
        .times(1)
        .returning(|new| Ok(stored_todo(10, new)));

    let created = service(todos)
        .create(
            member(2),
            TodoTitle::parse("buy milk").unwrap(),
            Some(TodoDescription::parse("two litres").unwrap()),
            Some(Priority::High),
        )
        .await
        .unwrap();

    assert_eq!(created.priority, Priority::High);
}

#[tokio::test]
async fn create_when_the_store_is_unavailable_is_unavailable() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_create()
        .times(1)
        .returning(|_| Err(unavailable()));

    let result = service(todos)
        .create(member(2), TodoTitle::parse("buy milk").unwrap(), None, None)
        .await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
}

// --- list -------------------------------------------------------------------

#[tokio::test]
async fn list_passes_the_actor_id_the_filter_and_the_page_through() {
    let filter = TodoFilter {
        completed: Some(true),
    };
    let page = PageRequest::new(2, 5).unwrap();
    let mut todos = MockTodoRepository::new();
    todos
        .expect_list_for_user()
        .with(eq(UserId(2)), eq(filter), eq(page))
        .times(1)
        .returning(|_, _, request| {
            Ok(Page {
                items: vec![todo(7, 2)],
                total: 6,
                request,
            })
        });

    let listed = service(todos).list(member(2), filter, page).await.unwrap();

    assert_eq!(listed.items, vec![todo(7, 2)]);
    assert_eq!(listed.total, 6);
    assert_eq!(listed.request, page);
}

#[tokio::test]
async fn list_by_an_admin_is_still_only_their_own() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_list_for_user()
        .with(eq(UserId(1)), eq(TodoFilter::default()), always())
        .times(1)
        .returning(|_, _, request| {
            Ok(Page {
                items: Vec::new(),
                total: 0,
                request,
            })
        });

    let listed = service(todos)
        .list(admin(1), TodoFilter::default(), PageRequest::default())
        .await
        .unwrap();

    assert!(listed.items.is_empty());
}

// --- get --------------------------------------------------------------------

#[tokio::test]
async fn get_of_an_own_todo_is_ok() {
    let found = service(holding(7, Some(todo(7, 2))))
        .get(member(2), TodoId(7))
        .await
        .unwrap();

    assert_eq!(found, todo(7, 2));
}

#[tokio::test]
async fn get_of_someone_elses_todo_is_forbidden() {
    let result = service(holding(7, Some(todo(7, 3))))
        .get(member(2), TodoId(7))
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn get_of_someone_elses_todo_by_an_admin_is_forbidden_too() {
    let result = service(holding(7, Some(todo(7, 3))))
        .get(admin(1), TodoId(7))
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn get_of_a_missing_todo_is_not_found() {
    let result = service(holding(404, None))
        .get(member(2), TodoId(404))
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn get_when_the_store_is_unavailable_is_unavailable() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_by_id()
        .times(1)
        .returning(|_| Err(unavailable()));

    let result = service(todos).get(member(2), TodoId(7)).await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
}

// --- update -----------------------------------------------------------------

#[tokio::test]
async fn update_of_someone_elses_todo_is_forbidden_without_an_update() {
    let result = service(holding(7, Some(todo(7, 3))))
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn update_of_a_missing_todo_is_not_found_without_an_update() {
    let result = service(holding(404, None))
        .update(member(2), TodoId(404), completed())
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn update_passes_the_patch_and_moves_updated_at_past_a_future_current_one() {
    let future = in_an_hour();
    let current = Todo {
        updated_at: future,
        ..todo(7, 2)
    };
    let patch = TodoPatch {
        title: Some(TodoTitle::parse("buy oat milk").unwrap()),
        description: Some(None),
        is_completed: Some(true),
        priority: Some(Priority::Low),
    };
    let expected = patch.clone();
    let mut todos = holding_then(7, current.clone());
    todos
        .expect_update()
        .withf(move |id, changes| {
            *id == TodoId(7) && changes.patch == expected && changes.updated_at > future
        })
        .times(1)
        .returning(move |_, changes| {
            Ok(Some(Todo {
                is_completed: true,
                updated_at: changes.updated_at,
                ..current.clone()
            }))
        });

    let updated = service(todos)
        .update(member(2), TodoId(7), patch)
        .await
        .unwrap();

    assert!(updated.updated_at > future);
}

#[tokio::test]
async fn update_moves_updated_at_to_now_past_an_old_current_one() {
    let before = time::now();
    let mut todos = holding_then(7, todo(7, 2));
    todos
        .expect_update()
        .withf(move |_, changes| {
            changes.updated_at > long_ago()
                && changes.updated_at >= before
                && changes.updated_at <= time::now()
        })
        .times(1)
        .returning(|_, changes| {
            Ok(Some(Todo {
                updated_at: changes.updated_at,
                ..todo(7, 2)
            }))
        });

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn update_racing_a_delete_is_not_found() {
    let mut todos = holding_then(7, todo(7, 2));
    todos
        .expect_update()
        .with(eq(TodoId(7)), always())
        .times(1)
        .returning(|_, _| Ok(None));

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

// --- delete -----------------------------------------------------------------

#[tokio::test]
async fn delete_of_an_own_todo_is_ok() {
    let mut todos = holding_then(7, todo(7, 2));
    todos
        .expect_delete()
        .with(eq(TodoId(7)))
        .times(1)
        .returning(|_| Ok(true));

    let result = service(todos).delete(member(2), TodoId(7)).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn delete_of_someone_elses_todo_is_forbidden_without_a_delete() {
    let result = service(holding(7, Some(todo(7, 3))))
        .delete(member(2), TodoId(7))
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn delete_of_a_missing_todo_is_not_found_without_a_delete() {
    let result = service(holding(404, None))
        .delete(member(2), TodoId(404))
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn delete_racing_another_delete_is_not_found() {
    let mut todos = holding_then(7, todo(7, 2));
    todos
        .expect_delete()
        .with(eq(TodoId(7)))
        .times(1)
        .returning(|_| Ok(false));

    let result = service(todos).delete(member(2), TodoId(7)).await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}
