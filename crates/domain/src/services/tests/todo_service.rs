//! Todos: every user reaches only their own, and every statement proves
//! the caller's session along with its work.

use std::sync::{Arc, Mutex};

use mockall::predicate::{always, eq};

use super::{
    CursorLedger, in_an_hour, ledger_seal, seal_into, stored_todo, todo, unavailable, unused_seal,
    user,
};
use crate::credential::{Access, Credential, LiveCredential};
use crate::pagination::{
    CursorError, CursorList, ListCursor, ListRequest, Page, PageRequest, TodoPosition, Window,
};
use crate::ports::{
    MockCursorSeal, MockPersonalTokenRepository, MockSessionRepository, MockTodoRepository,
};
use crate::services::tests::{clock, fixed_now};
use crate::services::{TodoError, TodoService};
use crate::session::SessionId;
use crate::todo::{
    Priority, Todo, TodoChanges, TodoDescription, TodoFilter, TodoId, TodoPatch, TodoTitle,
};
use crate::user::UserId;

/// The caller: user 2 through session 52.
fn caller() -> Access {
    Access {
        user: UserId(2),
        credential: Credential::Session(SessionId(52)),
    }
}

/// Whether a check is the caller's, stamped at the test clock's time.
fn checks_caller(check: &LiveCredential) -> bool {
    check.user == UserId(2)
        && check.credential == Credential::Session(SessionId(52))
        && check.at == fixed_now()
}

fn service(todos: MockTodoRepository, sessions: MockSessionRepository) -> TodoService {
    service_with_seal(todos, sessions, unused_seal())
}

fn service_with_seal(
    todos: MockTodoRepository,
    sessions: MockSessionRepository,
    seal: MockCursorSeal,
) -> TodoService {
    service_with_tokens(todos, sessions, not_asked_tokens(), seal)
}

fn service_with_tokens(
    todos: MockTodoRepository,
    sessions: MockSessionRepository,
    tokens: MockPersonalTokenRepository,
    seal: MockCursorSeal,
) -> TodoService {
    TodoService::new(
        Arc::new(todos),
        Arc::new(sessions),
        Arc::new(tokens),
        Arc::new(seal),
        clock(),
    )
}

/// A token store that must not be asked: the caller came with a session.
fn not_asked_tokens() -> MockPersonalTokenRepository {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_holds().never();
    tokens
}

/// A session store that must not be asked: the checked statement answered.
fn not_asked() -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions.expect_find_authenticated().never();
    sessions
}

/// A session store asked why a statement missed, answering that the
/// caller's session is live (`true`) or ended (`false`).
fn session_live(live: bool) -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_find_authenticated()
        .with(eq(UserId(2)), eq(SessionId(52)), always())
        .returning(move |_, _, _| Ok(live.then(|| user(2, false, true))));
    sessions
}

/// A repository whose checked read of todo `id` finds nothing, whose
/// unchecked look answers `found` once, and which must neither update nor
/// delete.
fn missing_from_checked_read(id: i64, found: Option<Todo>) -> MockTodoRepository {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_owned()
        .with(eq(TodoId(id)), always())
        .times(1)
        .returning(|_, _| Ok(None));
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
async fn create_checks_the_callers_session_in_the_insert_and_defaults_priority_to_medium() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_create()
        .withf(move |new, check| {
            checks_caller(check)
                && new.user_id == UserId(2)
                && new.created_at == check.at
                && new.priority == Priority::Medium
                && new.title.as_str() == "buy milk"
                && new.description.is_none()
        })
        .times(1)
        .returning(|new, _| Ok(Some(stored_todo(10, new))));

    let created = service(todos, not_asked())
        .create(caller(), TodoTitle::parse("buy milk").unwrap(), None, None)
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
        .withf(|new, _| {
            new.priority == Priority::High
                && new.description.as_ref().map(TodoDescription::as_str) == Some("two litres")
        })
        .times(1)
        .returning(|new, _| Ok(Some(stored_todo(10, new))));

    let created = service(todos, not_asked())
        .create(
            caller(),
            TodoTitle::parse("buy milk").unwrap(),
            Some(TodoDescription::parse("two litres").unwrap()),
            Some(Priority::High),
        )
        .await
        .unwrap();

    assert_eq!(created.priority, Priority::High);
}

#[tokio::test]
async fn create_when_the_session_no_longer_holds_is_unauthenticated() {
    let mut todos = MockTodoRepository::new();
    todos.expect_create().times(1).returning(|_, _| Ok(None));

    let result = service(todos, not_asked())
        .create(caller(), TodoTitle::parse("buy milk").unwrap(), None, None)
        .await;

    assert!(
        matches!(result, Err(TodoError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn create_when_the_store_is_unavailable_is_unavailable() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_create()
        .times(1)
        .returning(|_, _| Err(unavailable()));

    let result = service(todos, not_asked())
        .create(caller(), TodoTitle::parse("buy milk").unwrap(), None, None)
        .await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
}

// --- list -------------------------------------------------------------------

#[tokio::test]
async fn list_checks_the_callers_session_and_passes_the_filter_and_the_page_through() {
    let filter = TodoFilter {
        completed: Some(true),
    };
    let page = PageRequest::new(2, 5).unwrap();
    let mut todos = MockTodoRepository::new();
    todos
        .expect_list_owned()
        .withf(move |check, f, w| {
            checks_caller(check) && *f == filter && *w == Window::numbered(page)
        })
        .times(1)
        .returning(|_, _, window| {
            Ok(Some(Page {
                items: vec![todo(7, 2)],
                total: 6,
                request: window.page,
                has_more: false,
            }))
        });

    let listed = service(todos, not_asked())
        .list(caller(), filter, page.into())
        .await
        .unwrap();

    assert_eq!(listed.page.items, vec![todo(7, 2)]);
    assert_eq!(listed.page.total, 6);
    assert_eq!(listed.page.request, page);
    assert_eq!(listed.next_cursor, None, "the last page has no next cursor");
}

#[tokio::test]
async fn list_when_the_session_no_longer_holds_is_unauthenticated() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_list_owned()
        .times(1)
        .returning(|_, _, _| Ok(None));

    let result = service(todos, not_asked())
        .list(caller(), TodoFilter::default(), ListRequest::default())
        .await;

    assert!(
        matches!(result, Err(TodoError::Unauthenticated)),
        "{result:?}"
    );
}

/// Two todos of the caller's, created at the same instant, `id` 9 above 8.
fn twins() -> Vec<crate::todo::Todo> {
    vec![todo(9, 2), todo(8, 2)]
}

fn open_todos(completed: Option<bool>) -> TodoFilter {
    TodoFilter { completed }
}

/// A store answering one page of [`twins`] for any window, recording the
/// window it was asked for.
fn store_answering(
    has_more: bool,
    asked: Arc<Mutex<Vec<Window<TodoPosition>>>>,
) -> MockTodoRepository {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_list_owned()
        .times(1)
        .returning(move |_, _, window| {
            asked.lock().unwrap().push(window);
            Ok(Some(Page {
                items: twins(),
                total: 40,
                request: window.page,
                has_more,
            }))
        });
    todos
}

#[tokio::test]
async fn a_page_with_more_after_it_carries_the_cursor_of_the_next_page_after_its_last_todo() {
    let ledger = CursorLedger::default();
    let asked = Arc::default();
    let filter = open_todos(Some(false));
    let listed = service_with_seal(
        store_answering(true, Arc::clone(&asked)),
        not_asked(),
        ledger_seal(&ledger),
    )
    .list(caller(), filter, PageRequest::new(2, 2).unwrap().into())
    .await
    .unwrap();

    assert_eq!(listed.next_cursor.as_deref(), Some("cursor-0"));
    let sealed = ledger.lock().unwrap()[0];
    assert_eq!(
        sealed,
        ListCursor {
            list: CursorList::Todos {
                completed: Some(false),
                after: todo(8, 2).position(),
            },
            caller: UserId(2),
            page: 3,
            page_size: 2,
        }
    );
}

#[tokio::test]
async fn a_cursor_reads_the_page_after_its_position_under_its_page_number_and_size() {
    let ledger = CursorLedger::default();
    let after = TodoPosition {
        created_at: fixed_now(),
        id: TodoId(77),
    };
    let sealed = seal_into(
        &ledger,
        ListCursor {
            list: CursorList::Todos {
                completed: None,
                after,
            },
            caller: UserId(2),
            page: 7,
            page_size: 2,
        },
    );
    let asked = Arc::default();
    let listed = service_with_seal(
        store_answering(false, Arc::clone(&asked)),
        not_asked(),
        ledger_seal(&ledger),
    )
    .list(
        caller(),
        open_todos(None),
        // No page_size: the cursor's stands.
        ListRequest::Cursor {
            sealed,
            page_size: None,
        },
    )
    .await
    .unwrap();

    assert_eq!(
        *asked.lock().unwrap(),
        vec![Window::after(PageRequest::new(7, 2).unwrap(), after)]
    );
    assert_eq!(listed.page.request, PageRequest::new(7, 2).unwrap());
    assert_eq!(listed.next_cursor, None);
}

/// Lists with `request` after sealing `cursor`, with a store that must not
/// be asked: the cursor is refused first.
async fn refused(
    cursor: Option<ListCursor>,
    sealed: Option<&str>,
    filter: TodoFilter,
    page_size: Option<u64>,
) -> TodoError {
    let ledger = CursorLedger::default();
    let mut sealed = sealed.map(str::to_owned);
    if let Some(cursor) = cursor {
        sealed = Some(seal_into(&ledger, cursor));
    }
    let mut todos = MockTodoRepository::new();
    todos.expect_list_owned().never();
    service_with_seal(todos, not_asked(), ledger_seal(&ledger))
        .list(
            caller(),
            filter,
            ListRequest::Cursor {
                sealed: sealed.unwrap_or_default(),
                page_size,
            },
        )
        .await
        .unwrap_err()
}

fn cursor_of(caller: i64, completed: Option<bool>, page_size: u64) -> ListCursor {
    ListCursor {
        list: CursorList::Todos {
            completed,
            after: todo(8, caller).position(),
        },
        caller: UserId(caller),
        page: 2,
        page_size,
    }
}

#[tokio::test]
async fn a_cursor_the_seal_does_not_open_is_unreadable() {
    let error = refused(None, Some("cursor-0x"), open_todos(None), None).await;
    assert!(
        matches!(error, TodoError::InvalidCursor(CursorError::Unreadable)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_cursor_of_another_user_another_filter_size_or_list_is_another_querys() {
    let other_user = refused(Some(cursor_of(3, None, 10)), None, open_todos(None), None).await;
    let other_filter = refused(
        Some(cursor_of(2, Some(true), 10)),
        None,
        open_todos(Some(false)),
        None,
    )
    .await;
    let unfiltered_cursor_filtered_request = refused(
        Some(cursor_of(2, None, 10)),
        None,
        open_todos(Some(true)),
        None,
    )
    .await;
    let other_size = refused(
        Some(cursor_of(2, None, 10)),
        None,
        open_todos(None),
        Some(20),
    )
    .await;
    let users_cursor = refused(
        Some(ListCursor {
            list: CursorList::Users { after: UserId(5) },
            caller: UserId(2),
            page: 2,
            page_size: 10,
        }),
        None,
        open_todos(None),
        None,
    )
    .await;
    for error in [
        other_user,
        other_filter,
        unfiltered_cursor_filtered_request,
        other_size,
        users_cursor,
    ] {
        assert!(
            matches!(error, TodoError::InvalidCursor(CursorError::OtherQuery)),
            "{error:?}"
        );
    }
}

// --- get --------------------------------------------------------------------

#[tokio::test]
async fn get_of_an_own_todo_is_one_checked_statement() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_owned()
        .withf(move |id, check| *id == TodoId(7) && checks_caller(check))
        .times(1)
        .returning(|_, _| Ok(Some(todo(7, 2))));
    todos.expect_find_by_id().never();

    let found = service(todos, not_asked())
        .get(caller(), TodoId(7))
        .await
        .unwrap();

    assert_eq!(found, todo(7, 2));
}

#[tokio::test]
async fn get_with_an_ended_session_is_unauthenticated_and_looks_no_further() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_owned()
        .times(1)
        .returning(|_, _| Ok(None));
    todos.expect_find_by_id().never();

    let result = service(todos, session_live(false))
        .get(caller(), TodoId(7))
        .await;

    assert!(
        matches!(result, Err(TodoError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn get_of_someone_elses_todo_is_forbidden() {
    let result = service(
        missing_from_checked_read(7, Some(todo(7, 3))),
        session_live(true),
    )
    .get(caller(), TodoId(7))
    .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn get_of_a_missing_todo_is_not_found() {
    let result = service(missing_from_checked_read(404, None), session_live(true))
        .get(caller(), TodoId(404))
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn get_of_an_own_todo_seen_only_by_the_second_look_is_answered() {
    let found = service(
        missing_from_checked_read(7, Some(todo(7, 2))),
        session_live(true),
    )
    .get(caller(), TodoId(7))
    .await
    .unwrap();

    assert_eq!(found, todo(7, 2));
}

#[tokio::test]
async fn get_when_the_store_is_unavailable_is_unavailable() {
    let mut todos = MockTodoRepository::new();
    todos
        .expect_find_owned()
        .times(1)
        .returning(|_, _| Err(unavailable()));

    let result = service(todos, not_asked()).get(caller(), TodoId(7)).await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
}

// --- update -----------------------------------------------------------------

/// The `update` calls a repository received: id, changes and check.
type UpdateCalls = Arc<Mutex<Vec<(TodoId, TodoChanges, LiveCredential)>>>;

/// A repository whose `update` answers `answers` in turn (then `None`), and
/// which records what it was asked for.
fn updating(answers: Vec<Option<Todo>>) -> (MockTodoRepository, UpdateCalls) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let answers = Mutex::new(answers.into_iter());
    let mut todos = MockTodoRepository::new();
    todos.expect_update().returning(move |id, changes, check| {
        seen.lock().unwrap().push((id, changes, check));
        Ok(answers.lock().unwrap().next().flatten())
    });
    todos.expect_delete().never();
    (todos, calls)
}

/// Each unchecked look at todo `id` answers the next of `found`.
fn looked_up(todos: &mut MockTodoRepository, id: i64, found: Vec<Option<Todo>>) {
    let found = Mutex::new(found.into_iter());
    todos
        .expect_find_by_id()
        .with(eq(TodoId(id)))
        .returning(move |_| Ok(found.lock().unwrap().next().flatten()));
}

#[tokio::test]
async fn update_of_an_own_todo_is_one_checked_statement_at_now() {
    let patch = TodoPatch {
        title: Some(TodoTitle::parse("buy oat milk").unwrap()),
        description: Some(None),
        is_completed: Some(true),
        priority: Some(Priority::Low),
    };
    let (mut todos, calls) = updating(vec![Some(todo(7, 2))]);
    todos.expect_find_by_id().never();

    let updated = service(todos, not_asked())
        .update(caller(), TodoId(7), patch.clone())
        .await
        .unwrap();

    assert_eq!(updated.id, TodoId(7));
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    let (id, changes, check) = &calls[0];
    assert_eq!(*id, TodoId(7));
    assert!(checks_caller(check), "{check:?}");
    assert_eq!(changes.patch, patch);
    assert!(changes.updated_at == fixed_now());
}

#[tokio::test]
async fn update_with_an_ended_session_is_unauthenticated() {
    let (mut todos, calls) = updating(vec![None]);
    todos.expect_find_by_id().never();

    let result = service(todos, session_live(false))
        .update(caller(), TodoId(7), completed())
        .await;

    assert!(
        matches!(result, Err(TodoError::Unauthenticated)),
        "{result:?}"
    );
    assert_eq!(calls.lock().unwrap().len(), 1, "no second attempt");
}

#[tokio::test]
async fn update_of_someone_elses_todo_is_forbidden_and_changes_nothing() {
    let (mut todos, calls) = updating(vec![None]);
    looked_up(&mut todos, 7, vec![Some(todo(7, 3))]);

    let result = service(todos, session_live(true))
        .update(caller(), TodoId(7), completed())
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
    assert_eq!(calls.lock().unwrap().len(), 1, "only the owner's update");
}

#[tokio::test]
async fn update_of_a_missing_todo_is_not_found() {
    let (mut todos, calls) = updating(vec![None]);
    looked_up(&mut todos, 404, vec![None]);

    let result = service(todos, session_live(true))
        .update(caller(), TodoId(404), completed())
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

    let result = service(todos, session_live(true))
        .update(caller(), TodoId(7), completed())
        .await;

    assert!(result.is_ok(), "{result:?}");
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].1.updated_at < future);
    assert!(calls[1].1.updated_at > future, "past the stored updated_at");
    assert_eq!(calls[1].1.patch, completed());
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

    let result = service(todos, session_live(true))
        .update(caller(), TodoId(7), completed())
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn update_gives_up_when_the_todo_keeps_changing() {
    let (mut todos, calls) = updating(vec![]);
    todos
        .expect_find_by_id()
        .returning(|_| Ok(Some(todo(7, 2))));

    let result = service(todos, session_live(true))
        .update(caller(), TodoId(7), completed())
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

    let result = service(todos, not_asked())
        .update(caller(), TodoId(7), completed())
        .await;

    assert!(
        matches!(result, Err(TodoError::Unavailable(_))),
        "{result:?}"
    );
}

// --- delete -----------------------------------------------------------------

/// A repository whose checked `delete` of todo 7 by the caller answers
/// `answers` in turn.
fn deleting(answers: Vec<bool>) -> MockTodoRepository {
    let answers = Mutex::new(answers.into_iter());
    let mut todos = MockTodoRepository::new();
    todos
        .expect_delete()
        .withf(move |id, check| *id == TodoId(7) && checks_caller(check))
        .returning(move |_, _| Ok(answers.lock().unwrap().next().unwrap_or(false)));
    todos.expect_update().never();
    todos
}

#[tokio::test]
async fn delete_of_an_own_todo_is_one_checked_statement() {
    let mut todos = deleting(vec![true]);
    todos.expect_find_by_id().never();

    let result = service(todos, not_asked())
        .delete(caller(), TodoId(7))
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn delete_with_an_ended_session_is_unauthenticated() {
    let mut todos = deleting(vec![false]);
    todos.expect_find_by_id().never();

    let result = service(todos, session_live(false))
        .delete(caller(), TodoId(7))
        .await;

    assert!(
        matches!(result, Err(TodoError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn delete_of_someone_elses_todo_is_forbidden() {
    let mut todos = deleting(vec![false]);
    looked_up(&mut todos, 7, vec![Some(todo(7, 3))]);

    let result = service(todos, session_live(true))
        .delete(caller(), TodoId(7))
        .await;

    assert!(matches!(result, Err(TodoError::Forbidden)), "{result:?}");
}

#[tokio::test]
async fn delete_of_a_missing_todo_is_not_found() {
    let mut todos = deleting(vec![false]);
    looked_up(&mut todos, 7, vec![None]);

    let result = service(todos, session_live(true))
        .delete(caller(), TodoId(7))
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}

#[tokio::test]
async fn delete_racing_another_delete_is_not_found() {
    // Missed, then seen (a stale look), then missed again.
    let mut todos = deleting(vec![false, false]);
    looked_up(&mut todos, 7, vec![Some(todo(7, 2))]);

    let result = service(todos, session_live(true))
        .delete(caller(), TodoId(7))
        .await;

    assert!(matches!(result, Err(TodoError::NotFound)), "{result:?}");
}
