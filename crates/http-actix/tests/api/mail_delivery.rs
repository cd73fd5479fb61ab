//! The outbox end to end, against a real SMTP server (aiosmtpd, see
//! `mail::testing`): account mail reaches the server through the outbox
//! worker and the SMTP adapter; an outage delays mail and loses none; a
//! message is sent once, also with two instances on one store; a failing
//! delivery is retried after its backoff and given up on at the cap.

use std::collections::HashMap;
use std::time::Duration;

use mail::testing::{ServerOptions, SmtpServer};
use serde_json::json;

use crate::helpers::TestApp;

/// The server's messages whose subject contains `subject`, waiting until
/// `count` have arrived (registration's verification mails are not counted).
async fn wait_for_received(
    server: &SmtpServer,
    subject: &str,
    count: usize,
    within: Duration,
) -> Vec<Received> {
    let deadline = tokio::time::Instant::now() + within;
    let header = format!("Subject: {subject}");
    loop {
        let received: Vec<Received> = server
            .received()
            .into_iter()
            .map(|r| Received {
                to: r.rcpt_tos.join(","),
                raw: String::from_utf8_lossy(&r.raw).into_owned(),
            })
            .filter(|r| r.raw.lines().any(|line| line.starts_with(&header)))
            .collect();
        if received.len() >= count || tokio::time::Instant::now() >= deadline {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The subjects of a reset mail and of the "password changed" notice.
const RESET: &str = "Reset your";
const CHANGED: &str = "Your Pure Async REST API password was changed";

#[derive(Debug)]
struct Received {
    to: String,
    raw: String,
}

fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}?tls=none")
}

/// Registers `count` users (`{prefix}{i}`) and asks a reset link for each,
/// ten requests at a time.
async fn forgot_for_many(app: &TestApp, prefix: &str, count: usize) {
    for i in 0..count {
        app.register(&format!("{prefix}{i}")).await;
    }
    for chunk in (0..count).collect::<Vec<_>>().chunks(10) {
        let requests = chunk.iter().map(|i| {
            let body = json!({"email": format!("{prefix}{i}@example.com")});
            async move {
                app.post_json("/v1/auth/password/forgot", &body, None)
                    .await
                    .status()
            }
        });
        for status in futures_util::future::join_all(requests).await {
            assert_eq!(status, 202);
        }
    }
}

/// Asserts every one of `count` users got exactly one message.
fn assert_once_each(received: &[Received], prefix: &str, count: usize) {
    let mut by_recipient: HashMap<&str, usize> = HashMap::new();
    for message in received {
        *by_recipient.entry(message.to.as_str()).or_default() += 1;
    }
    for i in 0..count {
        let address = format!("{prefix}{i}@example.com");
        assert_eq!(
            by_recipient.get(address.as_str()).copied(),
            Some(1),
            "{address}: {by_recipient:?}"
        );
    }
    assert_eq!(received.len(), count, "{by_recipient:?}");
}

#[tokio::test]
async fn a_reset_link_travels_through_the_outbox_and_smtp_and_works() {
    let Some(python) = mail::testing::python("a_reset_link_travels") else {
        return;
    };
    let server = SmtpServer::start(&python, &ServerOptions::default());
    let url = smtp_url(server.port());
    let app =
        TestApp::spawn_with(&[("SMTP_URL", &url), ("MAIL_FROM", "Todo <todo@example.org>")]).await;
    app.register("smtpuser").await;
    let response = app
        .post_json(
            "/v1/auth/password/forgot",
            &json!({"email": "smtpuser@example.com"}),
            None,
        )
        .await;
    assert_eq!(response.status(), 202);
    let received = wait_for_received(&server, RESET, 1, Duration::from_secs(20)).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let raw = &received[0].raw;
    assert!(raw.contains("From: Todo <todo@example.org>"), "{raw}");
    assert!(raw.contains("To: smtpuser@example.com"), "{raw}");
    assert!(raw.contains("multipart/alternative"), "{raw}");
    // The text part's link (quoted-printable may wrap it: undo soft breaks).
    let text = raw.replace("=\r\n", "").replace("=3D", "=");
    let start = text.find("token=").expect("a link") + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let response = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": "over-smtp-and-back"}),
            None,
        )
        .await;
    assert_eq!(response.status(), 204);
    // The "password changed" notice follows by the same way.
    let received = wait_for_received(&server, CHANGED, 1, Duration::from_secs(20)).await;
    assert_eq!(received.len(), 1);
}

#[tokio::test]
async fn an_smtp_outage_of_ten_seconds_during_fifty_resets_loses_no_mail_and_doubles_none() {
    let Some(python) = mail::testing::python("an_smtp_outage") else {
        return;
    };
    let server = SmtpServer::start(&python, &ServerOptions::default());
    let port = server.port();
    let app = TestApp::spawn_on_the_system_clock(&[
        ("SMTP_URL", &smtp_url(port)),
        ("MAIL_RETRY_SECONDS", "1"),
        ("MAIL_TIMEOUT_SECONDS", "2"),
    ])
    .await;
    drop(server);
    let outage = tokio::time::Instant::now();
    forgot_for_many(&app, "outage", 50).await;
    tokio::time::sleep_until(outage + Duration::from_secs(10)).await;
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            port,
            ..ServerOptions::default()
        },
    );
    // Retries 1, 2, 4, 8, 16 s apart: every message is due again within
    // about 16 s of the server's return.
    let received = wait_for_received(&server, RESET, 50, Duration::from_secs(60)).await;
    // Anything sent twice would arrive by now too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received_after = wait_for_received(&server, RESET, 51, Duration::ZERO).await;
    assert_eq!(received.len(), 50, "all 50 arrive after the outage");
    assert_once_each(&received_after, "outage", 50);
}

#[tokio::test]
async fn two_instances_on_one_store_send_each_message_once() {
    let Some(python) = mail::testing::python("two_instances_send_once") else {
        return;
    };
    let server = SmtpServer::start(&python, &ServerOptions::default());
    let url = smtp_url(server.port());
    let first = TestApp::spawn_with(&[("SMTP_URL", &url)]).await;
    let second = first.spawn_beside(&[("SMTP_URL", &url)]).await;
    forgot_for_many(&first, "twice", 30).await;
    let arrived = wait_for_received(&server, RESET, 30, Duration::from_secs(30)).await;
    assert_eq!(arrived.len(), 30);
    // Anything sent twice would arrive by now too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = wait_for_received(&server, RESET, 31, Duration::ZERO).await;
    assert_once_each(&received, "twice", 30);
    drop(second);
}

/// Registers `name` and waits for the verification mail registration
/// sends, so that the mailer's count starts after it.
async fn register_quietly(app: &TestApp, name: &str) -> u64 {
    app.register(name).await;
    app.wait_for_mail(&format!("{name}@example.com"), "Confirm your email", 1)
        .await;
    app.mail.attempts()
}

/// Waits until the mailer has been called `count` times.
async fn wait_for_attempts(app: &TestApp, count: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.mail.attempts() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} attempts, waiting for {count}",
            app.mail.attempts()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_after_its_backoff_and_given_up_on_at_the_cap() {
    let app = TestApp::spawn_with(&[("MAIL_MAX_ATTEMPTS", "3"), ("MAIL_RETRY_SECONDS", "5")]).await;
    let base = register_quietly(&app, "retry").await;
    app.mail
        .set_failing(Some(infra_memory::MailFailure::Transient));
    let forgot = json!({"email": "retry@example.com"});
    assert_eq!(
        app.post_json("/v1/auth/password/forgot", &forgot, None)
            .await
            .status(),
        202
    );
    wait_for_attempts(&app, base + 1).await;
    // Not due again before its backoff (the clock stands still)...
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.mail.attempts(), base + 1);
    // ...and due after it: 5 s, then 10 s.
    app.clock().advance(Duration::from_secs(5));
    wait_for_attempts(&app, base + 2).await;
    app.clock().advance(Duration::from_secs(10));
    wait_for_attempts(&app, base + 3).await;
    // The third was the last: it is failed, and never tried again.
    app.clock().advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.mail.attempts(), base + 3);
    let stats = app.store.repositories().outbox.stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.sent, stats.failed),
        (0, 1, 1),
        "{stats:?}"
    );

    // A message that fails once and then goes through is sent once.
    app.mail
        .set_failing(Some(infra_memory::MailFailure::Transient));
    assert_eq!(
        app.post_json("/v1/auth/password/forgot", &forgot, None)
            .await
            .status(),
        202
    );
    wait_for_attempts(&app, base + 4).await;
    app.mail.set_failing(None);
    app.clock().advance(Duration::from_secs(5));
    app.wait_for_mail("retry@example.com", "Reset your", 1)
        .await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    for line in [
        "mail_deliveries_total{outcome=\"failed\"} 1",
        "mail_deliveries_total{outcome=\"retried\"} 3",
        "mail_deliveries_total{outcome=\"sent\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_message_at_once() {
    let app = TestApp::spawn().await;
    let base = register_quietly(&app, "refused").await;
    app.mail
        .set_failing(Some(infra_memory::MailFailure::Permanent));
    let forgot = json!({"email": "refused@example.com"});
    assert_eq!(
        app.post_json("/v1/auth/password/forgot", &forgot, None)
            .await
            .status(),
        202
    );
    wait_for_attempts(&app, base + 1).await;
    app.clock().advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.mail.attempts(), base + 1);
    let stats = app.store.repositories().outbox.stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.sent, stats.failed),
        (0, 1, 1),
        "the registration's verification mail was sent, the reset failed: {stats:?}"
    );
}
