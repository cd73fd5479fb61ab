//! Login takes the same time for an unknown user as for a wrong password,
//! so the answer's timing does not reveal which accounts exist. Measured,
//! printed, and asserted only loosely (timings on a shared machine vary).

use std::time::{Duration, Instant};

use crate::helpers::{TestApp, assert_unauthorized};

const TRIES: usize = 25;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_take_about_the_same_time() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    // Warm up the pool, the hasher and the code paths.
    for _ in 0..3 {
        assert_unauthorized(app.login("alice", "wrong-password").await).await;
        assert_unauthorized(app.login("nobody", "wrong-password").await).await;
    }
    let mut unknown = Vec::with_capacity(TRIES);
    let mut wrong = Vec::with_capacity(TRIES);
    // Interleaved, so that drift in machine load hits both alike.
    for i in 0..TRIES {
        let started = Instant::now();
        assert_unauthorized(app.login(&format!("nobody{i}"), "wrong-password").await).await;
        unknown.push(started.elapsed());
        let started = Instant::now();
        assert_unauthorized(app.login("alice", "wrong-password").await).await;
        wrong.push(started.elapsed());
    }
    let unknown = median(unknown);
    let wrong = median(wrong);
    let (low, high) = if unknown < wrong {
        (unknown, wrong)
    } else {
        (wrong, unknown)
    };
    let difference = (high - low).as_secs_f64() / low.as_secs_f64();
    eprintln!(
        "login timing over {TRIES} tries each (BCRYPT_COST=4): median unknown user {:.2} ms, \
         median wrong password {:.2} ms, relative difference {:.1} %",
        unknown.as_secs_f64() * 1000.0,
        wrong.as_secs_f64() * 1000.0,
        difference * 100.0
    );
    assert!(
        difference < 0.5,
        "unknown user {unknown:?} vs wrong password {wrong:?}: {:.1} % apart",
        difference * 100.0
    );
}
