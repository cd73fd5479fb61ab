//! Uniqueness under concurrent writes: of many simultaneous registrations of
//! one name, exactly one wins and every other one is a 409, never a 500.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_envelope, registration};

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
