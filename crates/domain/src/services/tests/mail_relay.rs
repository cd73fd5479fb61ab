//! Delivering the outbox: what each outcome of a send records, the backoff,
//! the cap on attempts, and giving claimed messages back.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::{clock, fixed_now, long_ago};
use crate::mail::{ClaimedMail, MailMessage, OutboxId};
use crate::ports::{MailError, MockMailer, MockOutbox};
use crate::services::{MailRelay, Outcome, RelayPolicy};
use crate::user::Email;

fn claimed(id: i64, attempt: u32) -> ClaimedMail {
    ClaimedMail {
        id: OutboxId(id),
        message: MailMessage {
            to: Email::parse("alice@example.org").unwrap(),
            subject: "Reset your password".into(),
            text: "token".into(),
            html: "<p>token</p>".into(),
        },
        attempt,
        queued_at: long_ago(),
    }
}

fn relay(outbox: MockOutbox, mailer: MockMailer) -> MailRelay {
    MailRelay::new(
        Arc::new(outbox),
        Arc::new(mailer),
        clock(),
        RelayPolicy::default(),
    )
}

fn failing(error: fn() -> MailError) -> MockMailer {
    let mut mailer = MockMailer::new();
    mailer.expect_send().returning(move |_| Err(error()));
    mailer
}

fn transient() -> MailError {
    MailError::Transient(anyhow::anyhow!("connection refused"))
}

fn permanent() -> MailError {
    MailError::Permanent(anyhow::anyhow!("550 no such mailbox"))
}

#[test]
fn the_backoff_doubles_from_the_first_wait_up_to_the_cap() {
    let policy = RelayPolicy::default();
    let waits: Vec<u64> = (1..=10).map(|a| policy.backoff(a).as_secs()).collect();
    assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
    assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(900));
}

#[tokio::test]
async fn a_claim_asks_for_the_batch_with_the_lease() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .withf(|now, lease, limit| {
            *now == fixed_now() && *lease == Duration::from_secs(600) && *limit == 16
        })
        .returning(|_, _, _| Ok(vec![claimed(1, 1)]));
    let claimed = relay(outbox, MockMailer::new()).claim().await.unwrap();
    assert_eq!(claimed.len(), 1);
}

#[tokio::test]
async fn a_delivered_message_is_marked_sent_and_reported_with_a_masked_recipient() {
    let mut mailer = MockMailer::new();
    mailer
        .expect_send()
        .times(1)
        .withf(|message| message.subject == "Reset your password")
        .returning(|_| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_mark_sent()
        .times(1)
        .withf(|id, now| *id == OutboxId(3) && *now == fixed_now())
        .returning(|_, _| Ok(()));
    let delivery = relay(outbox, mailer).deliver(claimed(3, 1)).await.unwrap();
    assert_eq!(delivery.outcome, Outcome::Sent);
    assert_eq!(delivery.recipient, "a***@example.org");
    assert_eq!(delivery.error, None);
}

#[tokio::test]
async fn a_transient_failure_is_retried_after_the_backoff_of_its_attempt() {
    for (attempt, wait) in [(1, 5), (3, 20)] {
        let mut outbox = MockOutbox::new();
        outbox
            .expect_retry_at()
            .times(1)
            .withf(move |id, at, error| {
                *id == OutboxId(3)
                    && *at == fixed_now() + TimeDelta::seconds(wait)
                    && error.contains("connection refused")
            })
            .returning(|_, _, _| Ok(()));
        outbox.expect_mark_failed().never();
        let delivery = relay(outbox, failing(transient))
            .deliver(claimed(3, attempt))
            .await
            .unwrap();
        assert_eq!(
            delivery.outcome,
            Outcome::Retry(fixed_now() + TimeDelta::seconds(wait))
        );
    }
}

#[tokio::test]
async fn the_last_attempt_or_a_permanent_refusal_fails_the_message() {
    for (error, attempt) in [(transient as fn() -> MailError, 8), (permanent, 1)] {
        let mut outbox = MockOutbox::new();
        outbox.expect_retry_at().never();
        outbox
            .expect_mark_failed()
            .times(1)
            .withf(|id, now, _| *id == OutboxId(3) && *now == fixed_now())
            .returning(|_, _, _| Ok(()));
        let delivery = relay(outbox, failing(error))
            .deliver(claimed(3, attempt))
            .await
            .unwrap();
        assert_eq!(delivery.outcome, Outcome::Failed);
        assert!(delivery.error.is_some());
    }
}

#[tokio::test]
async fn released_messages_are_due_now_again() {
    let mut outbox = MockOutbox::new();
    let mut released = Vec::new();
    for id in [4, 5] {
        outbox
            .expect_release()
            .times(1)
            .withf(move |got, now| *got == OutboxId(id) && *now == fixed_now())
            .returning(|_, _| Ok(()));
        released.push(claimed(id, 1));
    }
    relay(outbox, MockMailer::new())
        .release(&released)
        .await
        .unwrap();
}
