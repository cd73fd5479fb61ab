//! `SeaOutbox` and `SeaAccountTokens`' own machinery (what the ports promise
//! is the port contract's, `contract.rs`): what a finished message keeps in
//! the table, claims from several pools (instances) at once, and a write
//! that fails halfway leaving nothing behind. On the configured test
//! database (PostgreSQL with `TEST_DATABASE_URL`, else SQLite).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use chrono::TimeDelta;
use domain::ports::{AccountTokenRepository, Outbox};
use domain::{
    AccountTokenHash, AccountTokenKind, Email, MailMessage, NewAccountToken, OutboxId,
    RepositoryError,
};
use infra_sea::{SeaAccountTokens, SeaOutbox};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use support::BASE;

fn message(label: &str) -> MailMessage {
    MailMessage {
        to: Email::parse(format!("{label}@example.com")).unwrap(),
        subject: format!("Subject {label}"),
        text: format!("https://app.example/reset?token=secret-{label}"),
        html: format!("<a href=\"https://app.example/reset?token=secret-{label}\">reset</a>"),
    }
}

/// `columns` of outbox row `id`, as text (NULL as `None`).
async fn outbox_row(
    db: &DatabaseConnection,
    id: OutboxId,
    columns: &[&str],
) -> Vec<Option<String>> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT {} FROM outbox WHERE id = {}",
                columns
                    .iter()
                    .map(|c| format!("CAST({c} AS TEXT) AS {c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                id.0
            ),
        ))
        .await
        .unwrap()
        .expect("the row");
    columns
        .iter()
        .map(|c| row.try_get::<Option<String>>("", c).unwrap())
        .collect()
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COUNT(*) FROM {table}"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

#[tokio::test]
async fn a_finished_message_keeps_its_recipient_and_times_but_not_its_subject_or_parts() {
    let db = support::database().await;
    let conn = db.connection();
    let outbox = SeaOutbox::new(conn.clone());
    let sent = outbox.enqueue(message("sent"), BASE).await.unwrap();
    let failed = outbox.enqueue(message("failed"), BASE).await.unwrap();
    let pending = outbox.enqueue(message("pending"), BASE).await.unwrap();
    outbox
        .claim(BASE, Duration::from_secs(60), 10)
        .await
        .unwrap();
    let done = BASE + TimeDelta::seconds(5);

    outbox.mark_sent(sent, done).await.unwrap();
    outbox
        .mark_failed(failed, done, "550 mailbox\0 unavailable")
        .await
        .unwrap();

    let parts = ["subject", "text_body", "html_body"];
    for id in [sent, failed] {
        assert_eq!(
            outbox_row(conn, id, &parts).await,
            [
                Some(String::new()),
                Some(String::new()),
                Some(String::new())
            ],
            "{id:?} is erased"
        );
    }
    let [recipient, status, sent_at, last_error] = &outbox_row(
        conn,
        sent,
        &["recipient", "status", "sent_at", "last_error"],
    )
    .await[..] else {
        unreachable!()
    };
    assert_eq!(recipient.as_deref(), Some("sent@example.com"));
    assert_eq!(status.as_deref(), Some("sent"));
    assert!(sent_at.is_some());
    assert_eq!(last_error, &None);
    let failed_row = outbox_row(conn, failed, &["status", "failed_at", "last_error"]).await;
    assert_eq!(failed_row[0].as_deref(), Some("failed"));
    assert!(failed_row[1].is_some());
    assert_eq!(
        failed_row[2].as_deref(),
        Some("550 mailbox unavailable"),
        "kept, without NUL"
    );
    let kept = message("pending");
    assert_eq!(
        outbox_row(conn, pending, &parts).await,
        [Some(kept.subject), Some(kept.text), Some(kept.html)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_of_several_instances_at_once_take_each_message_once() {
    let db = support::database().await;
    let outbox = SeaOutbox::new(db.connection().clone());
    let mut queued = HashSet::new();
    for i in 0..40 {
        queued.insert(
            outbox
                .enqueue(message(&format!("m{i}")), BASE + TimeDelta::seconds(i))
                .await
                .unwrap(),
        );
    }
    // Three instances, each with a pool of its own and three workers.
    let mut pools = Vec::new();
    for _ in 0..3 {
        pools.push(Database::connect(db.url()).await.unwrap());
    }
    let now = BASE + TimeDelta::hours(1);
    let workers: Vec<_> = pools
        .iter()
        .flat_map(|pool| std::iter::repeat_n(pool.clone(), 3))
        .map(|pool| {
            tokio::spawn(async move {
                let outbox = SeaOutbox::new(pool);
                let mut mine = Vec::new();
                loop {
                    let batch = outbox
                        .claim(now, Duration::from_secs(600), 2)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|mail| mail.id));
                }
            })
        })
        .collect();

    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.unwrap());
    }
    let distinct: HashSet<OutboxId> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "a message was claimed twice");
    assert_eq!(distinct, queued);
    for pool in pools {
        pool.close().await.unwrap();
    }
}

#[tokio::test]
async fn an_issue_that_fails_halfway_leaves_nothing_behind() {
    let db = support::database().await;
    let conn = db.connection();
    let users = support::users(&db);
    let alice = support::create_user(&users, "alice").await;
    let bob = support::create_user(&users, "bob").await;
    let tokens = SeaAccountTokens::new(conn.clone());
    let token = |user: &domain::User, hash: &str| NewAccountToken {
        user_id: user.id,
        kind: AccountTokenKind::PasswordReset,
        hash: AccountTokenHash::new(hash.to_owned()),
        email: user.email.clone(),
        created_at: BASE,
        expires_at: BASE + TimeDelta::hours(1),
    };
    tokens
        .issue(token(&alice, "alice-1"), message("alice-1"))
        .await
        .unwrap();
    tokens
        .issue(token(&bob, "bob-1"), message("bob-1"))
        .await
        .unwrap();

    // Alice's second link collides with Bob's hash: the insert fails after
    // the revocation of her first link.
    let collided = tokens
        .issue(token(&alice, "bob-1"), message("alice-2"))
        .await;

    assert!(
        matches!(collided, Err(RepositoryError::Unexpected(_))),
        "{collided:?}"
    );
    let first = tokens
        .find_live(
            &AccountTokenHash::new("alice-1".to_owned()),
            AccountTokenKind::PasswordReset,
            BASE,
        )
        .await
        .unwrap();
    assert!(first.is_some(), "the revocation was rolled back");
    assert_eq!(count(conn, "account_tokens").await, 2);
    assert_eq!(
        count(conn, "outbox").await,
        2,
        "no mail for the failed link"
    );
}
