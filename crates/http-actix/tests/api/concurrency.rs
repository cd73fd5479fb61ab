//! Races: requests launched together against one resource.
//!
//! - Of many simultaneous registrations of one name, exactly one wins and
//!   every other one is a 409, never a 500.
//! - PATCHes and DELETEs of one todo: only 200/204/404, exactly one DELETE
//!   wins, the todo is gone afterwards; PATCHes alone: the final state is one
//!   whole request's body, never a mix of two.
//! - Refreshes of one refresh token: one new pair, answered to every racer
//!   (the grace-window replay), never a 500; the session stays usable.
//! - A logout racing requests on its session: each is 200 or 401, and after
//!   the logout answered, the token is refused.
//!
//! Every assertion holds whatever order the server runs the requests in;
//! nothing depends on timing. The pool waits long for a connection
//! (`DB_ACQUIRE_TIMEOUT_MS`) so that a slow, shared machine queues requests
//! rather than answering 503.

use futures_util::future::{join, join_all};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_envelope, assert_unauthorized, id_of, json_of, registration, tokens_of,
};

const RACERS: usize = 20;

/// Sends every body at once; returns (201 count, 409 count).
async fn race(app: &TestApp, bodies: Vec<Value>) -> (usize, usize) {
    let responses = join_all(
        bodies
            .iter()
            .map(|body| app.post_json("/v1/auth/register", body, None)),
    )
    .await;
    let mut created = 0;
    let mut conflicts = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            409 => {
                assert_envelope(response, 409).await;
                conflicts += 1;
            }
            other => panic!(
                "a racing registration answered {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    (created, conflicts)
}

#[tokio::test]
async fn concurrent_registrations_of_one_username_make_one_user() {
    let app = TestApp::spawn().await;
    let bodies = (0..RACERS)
        .map(|i| {
            let mut body = registration("racer");
            body["email"] = json!(format!("racer{i}@example.com"));
            body
        })
        .collect();
    assert_eq!(race(&app, bodies).await, (1, RACERS - 1));
    app.token_for("racer").await;
}

#[tokio::test]
async fn concurrent_registrations_of_one_username_in_mixed_case_make_one_user() {
    let app = TestApp::spawn().await;
    let bodies = (0..RACERS)
        .map(|i| {
            let name = if i % 2 == 0 { "Racer" } else { "rACER" };
            let mut body = registration(name);
            body["email"] = json!(format!("racer{i}@example.com"));
            body
        })
        .collect();
    assert_eq!(race(&app, bodies).await, (1, RACERS - 1));
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_make_one_user() {
    let app = TestApp::spawn().await;
    let bodies = (0..RACERS)
        .map(|i| {
            let mut body = registration(&format!("racer_{i}"));
            body["email"] = json!(if i % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            });
            body
        })
        .collect();
    assert_eq!(race(&app, bodies).await, (1, RACERS - 1));
    app.token_for("race@example.com").await;
}

/// Rounds of each race below: a race may go one way or the other.
const ROUNDS: usize = 3;
const PATCHERS: usize = 10;
const DELETERS: usize = 5;
const REFRESHERS: usize = 8;
const READERS: usize = 10;

/// An application whose requests queue for a pooled connection instead of
/// failing with 503 when the machine is slow.
async fn patient_app(overrides: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("DB_ACQUIRE_TIMEOUT_MS", "30000")];
    settings.extend_from_slice(overrides);
    TestApp::spawn_with(&settings).await
}

/// The status, and the JSON body when there is one; a 5xx fails the test
/// with its body.
async fn outcome(response: Response) -> (u16, Option<Value>) {
    let status = response.status().as_u16();
    assert!(
        status < 500,
        "a racing request answered {status}: {}",
        response.text().await.unwrap()
    );
    if status == 204 {
        return (status, None);
    }
    (status, Some(response.json().await.unwrap()))
}

/// A racing request that lost to a DELETE: a clean 404 envelope.
fn assert_not_found(body: Option<&Value>) {
    let body = body.expect("a 404 has a body");
    assert_eq!(body["error"]["status_code"], 404, "{body}");
    assert_eq!(body["error"]["type"], "client_error", "{body}");
}

#[tokio::test]
async fn concurrent_patches_and_deletes_of_one_todo_leave_it_deleted_with_one_winning_delete() {
    let app = patient_app(&[]).await;
    let (_, token) = app.user("alice").await;
    for round in 0..ROUNDS {
        let todo = app.create_todo(&token, &format!("round {round}")).await;
        let path = format!("/v1/todos/{}", id_of(&todo));
        let patches = (0..PATCHERS).map(|i| {
            app.request(Method::PATCH, &path, Some(&token))
                .json(&json!({"title": format!("patch {i}"), "is_completed": i % 2 == 0}))
                .send()
        });
        let deletes =
            (0..DELETERS).map(|_| app.request(Method::DELETE, &path, Some(&token)).send());
        let (patched, deleted) = join(join_all(patches), join_all(deletes)).await;

        for response in patched {
            match outcome(response.unwrap()).await {
                (200, Some(body)) => {
                    assert_eq!(body["id"], todo["id"], "{body}");
                    assert!(body["title"].as_str().unwrap().starts_with("patch "));
                }
                (404, body) => assert_not_found(body.as_ref()),
                (status, body) => panic!("a racing PATCH answered {status}: {body:?}"),
            }
        }
        let mut winners = 0;
        for response in deleted {
            match outcome(response.unwrap()).await {
                (204, _) => winners += 1,
                (404, body) => assert_not_found(body.as_ref()),
                (status, body) => panic!("a racing DELETE answered {status}: {body:?}"),
            }
        }
        assert_eq!(winners, 1, "exactly one DELETE deletes (round {round})");
        assert_envelope(app.get(&path, Some(&token)).await, 404).await;
        assert!(!app.todo_exists(id_of(&todo)).await);
    }
}

#[tokio::test]
async fn concurrent_patches_of_one_todo_leave_one_whole_body() {
    // On a clock that moves by itself (see `spawn_on_the_system_clock`).
    let app = TestApp::spawn_on_the_system_clock(&[("DB_ACQUIRE_TIMEOUT_MS", "30000")]).await;
    let (_, token) = app.user("alice").await;
    let priorities = ["low", "medium", "high"];
    for round in 0..ROUNDS {
        let todo = app.create_todo(&token, &format!("round {round}")).await;
        let path = format!("/v1/todos/{}", id_of(&todo));
        // Every field of body i says i: a mix of two bodies would show.
        let bodies: Vec<Value> = (0..PATCHERS)
            .map(|i| {
                json!({
                    "title": format!("title {i}"),
                    "description": format!("description {i}"),
                    "priority": priorities[i % priorities.len()],
                    "is_completed": i % 2 == 0,
                })
            })
            .collect();
        let responses = join_all(
            bodies
                .iter()
                .map(|body| app.patch_json(&path, body, Some(&token))),
        )
        .await;

        let mut answered = Vec::new();
        for (sent, response) in bodies.iter().zip(responses) {
            let body = json_of(response, 200).await;
            for field in ["title", "description", "priority", "is_completed"] {
                assert_eq!(body[field], sent[field], "{field} of {body}");
            }
            answered.push(body);
        }
        let last = json_of(app.get(&path, Some(&token)).await, 200).await;
        // The last writer's answer is exactly what is stored, updated_at included.
        assert!(
            answered.contains(&last),
            "the final state {last} is none of the answered bodies"
        );
        let i: usize = last["title"]
            .as_str()
            .and_then(|t| t.strip_prefix("title "))
            .and_then(|i| i.parse().ok())
            .unwrap_or_else(|| panic!("a title that was sent: {last}"));
        for field in ["title", "description", "priority", "is_completed"] {
            assert_eq!(last[field], bodies[i][field], "{field} of {last}");
        }
    }
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_answer_one_new_pair() {
    // A grace window far longer than any race: a racer that loses the
    // rotation must get the replayed pair, never be taken for a thief.
    let app = patient_app(&[("REFRESH_REUSE_GRACE_SECONDS", "300")]).await;
    app.register("alice").await;
    let (_, mut refresh) = app.pair_for("alice").await;
    for round in 0..ROUNDS {
        let responses = join_all((0..REFRESHERS).map(|_| app.refresh(&refresh))).await;
        let mut pairs = Vec::new();
        for response in responses {
            match outcome(response).await {
                (200, Some(body)) => pairs.push(tokens_of(&body)),
                (401, Some(body)) => {
                    assert_eq!(body["error"]["status_code"], 401, "{body}");
                }
                (status, body) => panic!("a racing refresh answered {status}: {body:?}"),
            }
        }
        let Some(pair) = pairs.first().cloned() else {
            panic!("no racing refresh succeeded (round {round})");
        };
        assert!(
            pairs.iter().all(|p| *p == pair),
            "one new pair, answered to every racer (round {round})"
        );
        assert_ne!(pair.1, refresh, "a new refresh token");
        // The session lives on with the new pair.
        json_of(app.get("/v1/auth/me", Some(&pair.0)).await, 200).await;
        let sessions = json_of(app.get("/v1/auth/sessions", Some(&pair.0)).await, 200).await;
        assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");
        refresh = pair.1;
    }
    // The last successor is unspent: it refreshes once more.
    let body = json_of(app.refresh(&refresh).await, 200).await;
    json_of(app.get("/v1/auth/me", Some(&tokens_of(&body).0)).await, 200).await;
}

#[tokio::test]
async fn a_logout_racing_requests_on_its_session_never_fails_and_wins_afterwards() {
    let app = patient_app(&[]).await;
    app.register("alice").await;
    for round in 0..ROUNDS {
        let (access, refresh) = app.pair_for("alice").await;
        let readers = join_all((0..READERS).map(|_| app.get("/v1/auth/me", Some(&access))));
        let (logout, readers) = join(app.post("/v1/auth/logout", Some(&access)), readers).await;
        assert_eq!(logout.status(), 204, "round {round}");
        for response in readers {
            match outcome(response).await {
                (200, Some(body)) => assert_eq!(body["username"], "alice", "{body}"),
                (401, Some(body)) => assert_eq!(body["error"]["status_code"], 401, "{body}"),
                (status, body) => panic!("a racing request answered {status}: {body:?}"),
            }
        }
        assert_unauthorized(app.get("/v1/auth/me", Some(&access)).await).await;
        assert_unauthorized(app.refresh(&refresh).await).await;
    }
}
