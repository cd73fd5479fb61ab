use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::*;
use crate::ports::{MockStorePruner, PruneOutcome, Pruned};
use crate::services::{PrunePolicy, PruneService};

fn policy() -> PrunePolicy {
    PrunePolicy {
        ended_session_margin: Duration::from_secs(60),
        attempts_kept: Duration::from_secs(3600),
        outbox_kept: Duration::from_secs(7 * 24 * 3600),
        ended_token_margin: Duration::from_secs(24 * 3600),
    }
}

#[tokio::test]
async fn a_pass_deletes_sessions_ended_a_margin_ago_and_events_older_than_kept() {
    let mut pruner = MockStorePruner::new();
    pruner
        .expect_prune()
        .withf(|rules| {
            rules.sessions_ended_before == fixed_now() - TimeDelta::seconds(60)
                && rules.attempts_before == fixed_now() - TimeDelta::hours(1)
        })
        .times(1)
        .returning(|_| {
            Ok(PruneOutcome::Done(Pruned {
                sessions: 2,
                refresh_tokens: 7,
                login_attempts: 3,
                ..Pruned::default()
            }))
        });
    let service = PruneService::new(Arc::new(pruner), policy(), clock());
    let outcome = service.run_once().await.unwrap();
    assert_eq!(
        outcome.pruned(),
        Pruned {
            sessions: 2,
            refresh_tokens: 7,
            login_attempts: 3,
            ..Pruned::default()
        }
    );
}

#[tokio::test]
async fn the_rules_follow_the_clock() {
    let clock = clock();
    let service = PruneService::new(Arc::new(MockStorePruner::new()), policy(), clock.clone());
    let before = service.rules();
    clock.advance(Duration::from_secs(90));
    let after = service.rules();
    assert_eq!(
        after.sessions_ended_before - before.sessions_ended_before,
        TimeDelta::seconds(90)
    );
    assert_eq!(
        after.attempts_before - before.attempts_before,
        TimeDelta::seconds(90)
    );
}

#[tokio::test]
async fn a_busy_store_and_a_failing_one_are_reported_as_they_are() {
    let mut pruner = MockStorePruner::new();
    let mut calls = 0;
    pruner.expect_prune().times(2).returning(move |_| {
        calls += 1;
        if calls == 1 {
            Ok(PruneOutcome::Busy(Pruned::default()))
        } else {
            Err(unavailable())
        }
    });
    let service = PruneService::new(Arc::new(pruner), policy(), clock());
    assert_eq!(
        service.run_once().await.unwrap(),
        PruneOutcome::Busy(Pruned::default())
    );
    assert!(matches!(
        service.run_once().await,
        Err(crate::error::RepositoryError::Unavailable(_))
    ));
}

#[test]
fn pruned_counts_add_up_per_table() {
    let mut total = Pruned::default();
    assert!(total.is_empty());
    total += Pruned {
        sessions: 1,
        refresh_tokens: 2,
        login_attempts: 3,
        outbox: 4,
        account_tokens: 5,
    };
    total += Pruned {
        sessions: 10,
        refresh_tokens: 20,
        login_attempts: 30,
        outbox: 40,
        account_tokens: 50,
    };
    assert_eq!(
        total,
        Pruned {
            sessions: 11,
            refresh_tokens: 22,
            login_attempts: 33,
            outbox: 44,
            account_tokens: 55,
        }
    );
    assert!(!total.is_empty());
}

#[test]
fn finished_mail_and_ended_account_tokens_go_after_their_own_retention() {
    let service = PruneService::new(Arc::new(MockStorePruner::new()), policy(), clock());
    let rules = service.rules();
    assert_eq!(
        rules.outbox_finished_before,
        fixed_now() - TimeDelta::days(7)
    );
    assert_eq!(
        rules.account_tokens_ended_before,
        fixed_now() - TimeDelta::days(1)
    );
    let defaults = PrunePolicy::default();
    assert_eq!(defaults.outbox_kept, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(defaults.ended_token_margin, Duration::from_secs(24 * 3600));
}
