//! Todos: every user reaches only their own.

use std::sync::{Arc, Mutex};

use mockall::predicate::{always, eq};

use super::{admin, in_an_hour, member, stored_todo, todo, unavailable};
use crate::pagination::{Page, PageRequest};
use crate::ports::MockTodoRepository;
use crate::services::{TodoError, TodoService};
use crate::time;
use crate::todo::{
    Priority, Todo, TodoChanges, TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle,
};
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

/// The `update` calls a repository received: id, owner and changes.
type UpdateCalls = Arc<Mutex<Vec<(TodoId, UserId, TodoChanges)>>>;

/// A repository whose `update` answers `answers` in turn (then `None`), and
/// which records the changes it was asked for.
fn updating(answers: Vec<Option<Todo>>) -> (MockTodoRepository, UpdateCalls) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let answers = Mutex::new(answers.into_iter());
    let mut todos = MockTodoRepository::new();
    todos.expect_update().returning(move |id, owner, changes| {
        seen.lock().unwrap().push((id, owner, changes));
        Ok(answers.lock().unwrap().next().flatten())
    });
    todos.expect_delete().never();
    (todos, calls)
}

/// Each lookup of todo `id` answers the next of `found`.
fn looked_up(todos: &mut MockTodoRepository, id: i64, found: Vec<Option<Todo>>) {
    let found = Mutex::new(found.into_iter());
    todos
        .expect_find_by_id()
        .with(eq(TodoId(id)))
        .returning(move |_| Ok(found.lock().unwrap().next().flatten()));
}

#[tokio::test]
async fn update_of_an_own_todo_is_one_statement_at_now_for_the_owner() {
    let before = time::now();
    let patch = TodoPatch {
        title: Some(TodoTitle::parse("buy oat milk").unwrap()),
        description: Some(None),
        is_completed: Some(true),
        priority: Some(Priority::Low),
    };
    let (mut todos, calls) = updating(vec![Some(todo(7, 2))]);
    todos.expect_find_by_id().never();

    let updated = service(todos)
        .update(member(2), TodoId(7), patch.clone())
        .await
        .unwrap();

    assert_eq!(updated.id, TodoId(7));
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    let (id, owner, changes) = &calls[0];
    assert_eq!((*id, *owner), (TodoId(7), UserId(2)));
    assert_eq!(changes.patch, patch);
    assert!(changes.updated_at >= before && changes.updated_at <= time::now());
}

#[tokio::test]
async fn update_of_someone_elses_todo_is_forbidden_and_changes_nothing() {
    let (mut todos, calls) = updating(vec![None]);
    looked_up(&mut todos, 7, vec![Some(todo(7, 3))]);

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
    assert_eq!(calls.lock().unwrap().len(), 1, "only the owner's update");
}

#[tokio::test]
async fn update_of_a_missing_todo_is_not_found() {
    let (mut todos, calls) = updating(vec![None]);
    looked_up(&mut todos, 404, vec![None]);

    let result = service(todos)
        .update(member(2), TodoId(404), completed())
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn update_moves_updated_at_past_a_current_one_that_is_not_before_now() {
    let future = in_an_hour();
    let current = Todo {
        updated_at: future,
        ..todo(7, 2)
    };
    let (mut todos, calls) = updating(vec![None, Some(current.clone())]);
    looked_up(&mut todos, 7, vec![Some(current)]);

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(result.is_ok(), "{result:?}");
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].2.updated_at < future);
    assert!(calls[1].2.updated_at > future, "past the stored updated_at");
    assert_eq!(calls[1].2.patch, completed());
}

#[tokio::test]
async fn update_racing_a_delete_is_not_found() {
    // The first update misses (the clock looks behind), the look finds the
    // todo, and by the second try it is gone.
    let (mut todos, _) = updating(vec![None, None]);
    looked_up(
        &mut todos,
        7,
        vec![
            Some(Todo {
                updated_at: in_an_hour(),
                ..todo(7, 2)
            }),
            None,
        ],
    );

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn update_gives_up_when_the_todo_keeps_changing() {
    let (mut todos, calls) = updating(vec![]);
    todos
        .expect_find_by_id()
        .returning(|_| Ok(Some(todo(7, 2))));

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
    assert_eq!(calls.lock().unwrap().len(), 4, "bounded attempts");
}

#[tokio::test]
async fn update_when_the_store_is_unavailable_is_unavailable() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_update()
        .times(1)
        .returning(|_, _, _| Err(unavailable()));

    let result = service(todos)
        .update(member(2), TodoId(7), completed())
        .await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
}

// --- delete -----------------------------------------------------------------

/// A repository whose `delete` of todo 7 by user 2 answers `answers` in turn.
fn deleting(answers: Vec<bool>) -> MockTodoRepository {
    let answers = Mutex::new(answers.into_iter());
    let mut todos = MockTodoRepository::new();
    todos
        .expect_delete()
        .with(eq(TodoId(7)), eq(UserId(2)))
        .returning(move |_, _| Ok(answers.lock().unwrap().next().unwrap_or(false)));
    todos.expect_update().never();
    todos
}

#[tokio::test]
async fn delete_of_an_own_todo_is_one_statement() {
    let mut todos = deleting(vec![true]);
    todos.expect_find_by_id().never();

    let result = service(todos).delete(member(2), TodoId(7)).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn delete_of_someone_elses_todo_is_forbidden() {
    let mut todos = deleting(vec![false]);
    looked_up(&mut todos, 7, vec![Some(todo(7, 3))]);

    let result = service(todos).delete(member(2), TodoId(7)).await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn delete_of_a_missing_todo_is_not_found() {
    let mut todos = deleting(vec![false]);
    looked_up(&mut todos, 7, vec![None]);

    let result = service(todos).delete(member(2), TodoId(7)).await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn delete_racing_another_delete_is_not_found() {
    // Missed, then seen (a stale look), then missed again.
    let mut todos = deleting(vec![false, false]);
    looked_up(&mut todos, 7, vec![Some(todo(7, 2))]);

    let result = service(todos).delete(member(2), TodoId(7)).await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}
