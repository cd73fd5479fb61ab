//! [`domain::ports::Outbox`]: messages queued, claimed under a lease (never
//! by two claims at once), sent, retried, given up on or released, and
//! counted.
//!
//! That sent and failed messages lose their subject and parts is not
//! visible through the port (nothing reads a finished message back); each
//! adapter's own tests check it in its store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::Repositories;
use domain::{ClaimedMail, OutboxId, OutboxStats};

use crate::support::{BASE, at, mail};

/// The lease of every claim here, unless a test says otherwise.
const LEASE: Duration = Duration::from_secs(60);

async fn claim(ports: &Repositories, now: DateTime<Utc>, limit: u32) -> Vec<ClaimedMail> {
    ports.outbox.claim(now, LEASE, limit).await.unwrap()
}

fn ids(claimed: &[ClaimedMail]) -> Vec<OutboxId> {
    claimed.iter().map(|mail| mail.id).collect()
}

/// Queues `label`'s message to `label@example.com` at `queued_at`.
async fn enqueue(ports: &Repositories, label: &str, queued_at: DateTime<Utc>) -> OutboxId {
    ports
        .outbox
        .enqueue(mail(&format!("{label}@example.com"), label), queued_at)
        .await
        .unwrap()
}

pub async fn a_queued_message_is_claimed_whole_with_its_first_attempt(ports: Repositories) {
    let queued_at = BASE + TimeDelta::microseconds(123_456);
    let message = mail("alice@example.com", "welcome");
    let id = ports
        .outbox
        .enqueue(message.clone(), queued_at)
        .await
        .unwrap();

    let claimed = claim(&ports, queued_at, 10).await;

    assert_eq!(
        claimed,
        [ClaimedMail {
            id,
            message,
            attempt: 1,
            queued_at,
        }]
    );
    let other = enqueue(&ports, "other", queued_at).await;
    assert_ne!(other, id, "ids are distinct");
}

pub async fn a_message_is_not_due_before_the_instant_it_was_queued_at(ports: Repositories) {
    enqueue(&ports, "later", at(TimeDelta::minutes(1))).await;

    assert_eq!(
        claim(
            &ports,
            at(TimeDelta::minutes(1)) - TimeDelta::microseconds(1),
            10
        )
        .await,
        []
    );
    assert_eq!(claim(&ports, at(TimeDelta::minutes(1)), 10).await.len(), 1);
}

pub async fn claim_takes_the_oldest_due_messages_first_up_to_the_limit(ports: Repositories) {
    let mut queued = Vec::new();
    // Queued out of id order: the oldest has the highest id.
    for (label, seconds) in [("b", 2), ("c", 3), ("d", 4), ("e", 5), ("a", 1)] {
        queued.push((
            seconds,
            enqueue(&ports, label, at(TimeDelta::seconds(seconds))).await,
        ));
    }
    queued.sort();
    let oldest_first: Vec<OutboxId> = queued.into_iter().map(|(_, id)| id).collect();
    let now = at(TimeDelta::hours(1));

    let first = claim(&ports, now, 3).await;
    let second = claim(&ports, now, 3).await;

    assert_eq!(ids(&first), oldest_first[..3]);
    assert_eq!(ids(&second), oldest_first[3..]);
    assert!(first.iter().chain(&second).all(|mail| mail.attempt == 1));
    assert_eq!(claim(&ports, now, 3).await, [], "every message is leased");
    assert_eq!(claim(&ports, now, 0).await, []);
}

pub async fn a_claimed_message_is_not_claimed_again_before_its_lease_ends_but_is_after(
    ports: Repositories,
) {
    let id = enqueue(&ports, "slow", BASE).await;
    assert_eq!(ids(&claim(&ports, BASE, 10).await), [id]);

    let lease = TimeDelta::from_std(LEASE).unwrap();
    assert_eq!(
        claim(&ports, BASE + lease - TimeDelta::microseconds(1), 10).await,
        [],
        "leased until BASE + lease"
    );
    let again = claim(&ports, BASE + lease, 10).await;

    assert_eq!(ids(&again), [id]);
    assert_eq!(again[0].attempt, 2, "the second attempt");
    assert_eq!(again[0].queued_at, BASE);
    assert_eq!(again[0].message, mail("slow@example.com", "slow"));
}

pub async fn a_sent_message_is_never_claimed_again(ports: Repositories) {
    let id = enqueue(&ports, "done", BASE).await;
    claim(&ports, BASE, 10).await;

    ports
        .outbox
        .mark_sent(id, at(TimeDelta::seconds(1)))
        .await
        .unwrap();

    assert_eq!(claim(&ports, at(TimeDelta::days(30)), 10).await, []);
    assert_eq!(
        ports.outbox.stats().await.unwrap(),
        OutboxStats {
            sent: 1,
            ..OutboxStats::default()
        }
    );
}

pub async fn retry_at_makes_it_due_at_that_instant_and_not_before(ports: Repositories) {
    let id = enqueue(&ports, "flaky", BASE).await;
    claim(&ports, BASE, 10).await;
    // Later than the lease would have ended.
    let retry = at(TimeDelta::minutes(10));

    ports
        .outbox
        .retry_at(id, retry, "421 try again later")
        .await
        .unwrap();

    assert_eq!(
        claim(&ports, retry - TimeDelta::microseconds(1), 10).await,
        []
    );
    let again = claim(&ports, retry, 10).await;
    assert_eq!(ids(&again), [id]);
    assert_eq!(again[0].attempt, 2);
    assert_eq!(again[0].message, mail("flaky@example.com", "flaky"));
    // Retrying earlier than the lease's end makes it due earlier too.
    ports
        .outbox
        .retry_at(id, retry + TimeDelta::seconds(1), "again")
        .await
        .unwrap();
    assert_eq!(
        claim(&ports, retry + TimeDelta::seconds(1), 10).await.len(),
        1
    );
}

pub async fn a_failed_message_is_given_up_on(ports: Repositories) {
    let id = enqueue(&ports, "bounced", BASE).await;
    claim(&ports, BASE, 10).await;

    ports
        .outbox
        .mark_failed(id, at(TimeDelta::seconds(1)), "550 no such user")
        .await
        .unwrap();

    assert_eq!(claim(&ports, at(TimeDelta::days(30)), 10).await, []);
    assert_eq!(
        ports.outbox.stats().await.unwrap(),
        OutboxStats {
            failed: 1,
            ..OutboxStats::default()
        }
    );
}

pub async fn release_restores_the_attempt_count_and_makes_it_due_now(ports: Repositories) {
    let id = enqueue(&ports, "interrupted", BASE).await;
    let first = claim(&ports, BASE, 10).await;
    assert_eq!(first[0].attempt, 1);
    // A second, real attempt: the count is 2 before the interrupted claim.
    let lease = TimeDelta::from_std(LEASE).unwrap();
    assert_eq!(claim(&ports, BASE + lease, 10).await[0].attempt, 2);
    let claimed = claim(&ports, BASE + lease * 2, 10).await;
    assert_eq!(claimed[0].attempt, 3);
    let stopping = BASE + lease * 2 + TimeDelta::seconds(1);

    ports.outbox.release(id, stopping).await.unwrap();

    // Due at `stopping`, not at the lease's end; the released attempt is
    // not counted.
    let again = claim(&ports, stopping, 10).await;
    assert_eq!(ids(&again), [id]);
    assert_eq!(again[0].attempt, 3);
}

pub async fn stats_count_messages_by_status_with_the_oldest_pending(ports: Repositories) {
    assert_eq!(
        ports.outbox.stats().await.unwrap(),
        OutboxStats::default(),
        "an empty outbox"
    );
    let sent = enqueue(&ports, "sent", BASE).await;
    let failed = enqueue(&ports, "failed", at(TimeDelta::minutes(1))).await;
    let retried = enqueue(&ports, "retried", at(TimeDelta::minutes(2))).await;
    enqueue(&ports, "waiting", at(TimeDelta::minutes(3))).await;
    let now = at(TimeDelta::minutes(4));
    assert_eq!(claim(&ports, now, 3).await.len(), 3);
    ports.outbox.mark_sent(sent, now).await.unwrap();
    ports
        .outbox
        .mark_failed(failed, now, "gave up")
        .await
        .unwrap();
    ports
        .outbox
        .retry_at(retried, at(TimeDelta::hours(1)), "later")
        .await
        .unwrap();

    assert_eq!(
        ports.outbox.stats().await.unwrap(),
        OutboxStats {
            pending: 2,
            sent: 1,
            failed: 1,
            oldest_pending: Some(at(TimeDelta::minutes(2))),
        }
    );
}

pub async fn concurrent_claims_never_return_one_message_twice(ports: Repositories) {
    let mut queued = Vec::new();
    for i in 0..50 {
        queued.push(enqueue(&ports, &format!("m{i}"), at(TimeDelta::seconds(i))).await);
    }
    let now = at(TimeDelta::hours(1));
    let start = Arc::new(tokio::sync::Barrier::new(8));

    let claimers: Vec<_> = (0..8)
        .map(|_| {
            let outbox = Arc::clone(&ports.outbox);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                let mut mine = Vec::new();
                loop {
                    let batch = outbox
                        .claim(now, Duration::from_secs(3600), 3)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    assert!(batch.len() <= 3, "{} claimed at once", batch.len());
                    mine.extend(batch.into_iter().map(|mail| (mail.id, mail.attempt)));
                }
            })
        })
        .collect();
    let mut times_claimed: HashMap<OutboxId, usize> = HashMap::new();
    for claimer in claimers {
        for (id, attempt) in claimer.await.unwrap() {
            assert_eq!(attempt, 1, "{id:?} was claimed before");
            *times_claimed.entry(id).or_default() += 1;
        }
    }

    let twice: Vec<_> = times_claimed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "claimed more than once: {twice:?}");
    let mut claimed: Vec<OutboxId> = times_claimed.into_keys().collect();
    claimed.sort();
    queued.sort();
    assert_eq!(claimed, queued, "every message was claimed");
    assert_eq!(ports.outbox.stats().await.unwrap().pending, 50);
}
