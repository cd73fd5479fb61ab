//! [`domain::ports::StorePruner`]: a pass deletes the sessions that ended
//! before its instant, with every refresh token of theirs, the login
//! events before its other instant, the outbox messages that finished
//! (sent or failed) before theirs and the account tokens that ended (used,
//! revoked, expired) before theirs; nothing else, a live session keeps its
//! spent tokens (reuse detection reads them), and a pending message stays
//! however old.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use domain::ports::{PruneOutcome, PruneRules, Pruned, Repositories, ThrottleKey};
use domain::{AccountTokenKind, OutboxStats, Session, UserId};

use crate::support::{
    BASE, account_token_hash, at, create_user, issue, mail, new_account_token, new_session,
    token_hash,
};

/// The instant sessions must have ended before to go: a day after [`BASE`].
fn cutoff() -> DateTime<Utc> {
    at(TimeDelta::days(1))
}

fn rules() -> PruneRules {
    PruneRules {
        sessions_ended_before: cutoff(),
        attempts_before: BASE - TimeDelta::hours(1),
        outbox_finished_before: cutoff(),
        account_tokens_ended_before: cutoff(),
    }
}

/// A session of `user` opened at [`BASE`], expiring at `expires_at`, whose
/// first token is `token`.
async fn session_until(
    ports: &Repositories,
    user: UserId,
    token: &str,
    expires_at: DateTime<Utc>,
) -> Session {
    ports
        .sessions
        .create(domain::NewSession {
            expires_at,
            ..new_session(user, token, BASE)
        })
        .await
        .unwrap()
}

async fn rotate(ports: &Repositories, session: &Session, from: &str, to: &str) {
    let rotated = ports
        .sessions
        .rotate(
            session.id,
            &token_hash(from),
            &token_hash(to),
            BASE + TimeDelta::minutes(1),
        )
        .await
        .unwrap();
    assert!(rotated, "{from} -> {to}");
}

async fn stored(ports: &Repositories, token: &str) -> bool {
    ports
        .sessions
        .find_refresh_token(&token_hash(token))
        .await
        .unwrap()
        .is_some()
}

pub async fn a_pass_deletes_ended_sessions_with_their_tokens_and_nothing_live(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let far = cutoff() + TimeDelta::days(30);
    // Expired a microsecond before the instant: goes, both tokens with it.
    let expired = session_until(
        &ports,
        alice.id,
        "expired-1",
        cutoff() - TimeDelta::microseconds(1),
    )
    .await;
    rotate(&ports, &expired, "expired-1", "expired-2").await;
    // Expiring at the instant itself: ended at, not before; stays.
    let at_the_instant = session_until(&ports, alice.id, "at-the-instant", cutoff()).await;
    // Revoked a second before the instant: goes.
    let revoked = session_until(&ports, alice.id, "revoked", far).await;
    assert!(
        ports
            .sessions
            .revoke(alice.id, revoked.id, cutoff() - TimeDelta::seconds(1))
            .await
            .unwrap()
    );
    // Revoked at the instant: stays.
    let revoked_late = session_until(&ports, alice.id, "revoked-at", far).await;
    assert!(
        ports
            .sessions
            .revoke(alice.id, revoked_late.id, cutoff())
            .await
            .unwrap()
    );
    // Live, with a spent token: keeps both, the spent one for reuse detection.
    let live = session_until(&ports, alice.id, "live-1", far).await;
    rotate(&ports, &live, "live-1", "live-2").await;

    let outcome = ports.pruner.prune(&rules()).await.unwrap();

    assert_eq!(
        outcome,
        PruneOutcome::Done(Pruned {
            sessions: 2,
            refresh_tokens: 3,
            login_attempts: 0,
            ..Pruned::default()
        })
    );
    for gone in ["expired-1", "expired-2", "revoked"] {
        assert!(!stored(&ports, gone).await, "{gone} is deleted");
    }
    for kept in ["at-the-instant", "revoked-at", "live-2"] {
        assert!(stored(&ports, kept).await, "{kept} is kept");
    }
    let spent = ports
        .sessions
        .find_refresh_token(&token_hash("live-1"))
        .await
        .unwrap()
        .expect("a live session's spent token is kept");
    assert_eq!(spent.session.id, live.id);
    assert!(spent.spent_at.is_some());
    let mut listed: Vec<_> = ports
        .sessions
        .list_active(alice.id, BASE)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    listed.sort();
    // The expired session was live at BASE: listed, had it not been deleted.
    assert_eq!(listed, [at_the_instant.id, live.id]);
}

pub async fn a_pass_deletes_login_events_before_the_instant_and_keeps_the_rest(
    ports: Repositories,
) {
    let repo = &ports.attempts;
    let alice = ThrottleKey::Account("alice".to_owned());
    let ip = ThrottleKey::LoginIp("203.0.113.9".to_owned());
    let old = BASE - TimeDelta::hours(1) - TimeDelta::microseconds(1);
    repo.record(&[alice.clone(), ip.clone()], old)
        .await
        .unwrap();
    repo.record(std::slice::from_ref(&ip), BASE - TimeDelta::hours(1))
        .await
        .unwrap();
    repo.record(std::slice::from_ref(&alice), BASE)
        .await
        .unwrap();

    let outcome = ports.pruner.prune(&rules()).await.unwrap();

    assert_eq!(
        outcome,
        PruneOutcome::Done(Pruned {
            login_attempts: 2,
            ..Pruned::default()
        })
    );
    let since = BASE - TimeDelta::days(1);
    assert_eq!(repo.recent(&alice, since, 10).await.unwrap(), [BASE]);
    assert_eq!(
        repo.recent(&ip, since, 10).await.unwrap(),
        [BASE - TimeDelta::hours(1)]
    );
}

pub async fn a_second_pass_finds_nothing_left(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    session_until(&ports, alice.id, "expired", BASE + TimeDelta::hours(1)).await;
    ports
        .attempts
        .record(
            &[ThrottleKey::Account("alice".to_owned())],
            BASE - TimeDelta::hours(2),
        )
        .await
        .unwrap();
    let first = ports.pruner.prune(&rules()).await.unwrap();
    assert_eq!(
        first,
        PruneOutcome::Done(Pruned {
            sessions: 1,
            refresh_tokens: 1,
            login_attempts: 1,
            ..Pruned::default()
        })
    );

    let second = ports.pruner.prune(&rules()).await.unwrap();

    assert_eq!(second, PruneOutcome::Done(Pruned::default()));
}

pub async fn a_pass_leaves_other_tables_alone(ports: Repositories) {
    let (alice, caller) = crate::support::signed_in(&ports, "alice").await;
    let todo = crate::support::create_todo(&ports, caller, "keep me").await;
    // The session that made the todo ends; the user and the todo stay.
    assert!(
        ports
            .sessions
            .revoke(
                alice.id,
                caller.credential.session().unwrap(),
                BASE + TimeDelta::minutes(1)
            )
            .await
            .unwrap()
    );

    let other = session_until(&ports, alice.id, "other", cutoff() + TimeDelta::days(1)).await;

    let outcome = ports.pruner.prune(&rules()).await.unwrap();

    assert_eq!(outcome.pruned().sessions, 1);
    assert!(ports.users.find_by_id(alice.id).await.unwrap().is_some());
    let found = ports
        .todos
        .find_owned(todo.id, crate::support::live(&other))
        .await
        .unwrap();
    assert_eq!(found.map(|t| t.id), Some(todo.id));
}

pub async fn a_pass_deletes_mail_finished_before_the_instant_and_never_a_pending_one(
    ports: Repositories,
) {
    let outbox = &ports.outbox;
    let mut ids = Vec::new();
    for label in [
        "sent-early",
        "failed-early",
        "sent-at",
        "failed-at",
        "retried",
        "waiting",
    ] {
        ids.push(
            outbox
                .enqueue(mail(&format!("{label}@example.com"), label), BASE)
                .await
                .unwrap(),
        );
    }
    let [
        sent_early,
        failed_early,
        sent_at,
        failed_at,
        retried,
        _waiting,
    ] = ids[..]
    else {
        unreachable!()
    };
    assert_eq!(
        outbox
            .claim(BASE, Duration::from_secs(60), 5)
            .await
            .unwrap()
            .len(),
        5
    );
    outbox
        .mark_sent(sent_early, cutoff() - TimeDelta::microseconds(1))
        .await
        .unwrap();
    outbox
        .mark_failed(failed_early, cutoff() - TimeDelta::seconds(1), "gave up")
        .await
        .unwrap();
    // Finished at the instant: not before it; stays.
    outbox.mark_sent(sent_at, cutoff()).await.unwrap();
    outbox
        .mark_failed(failed_at, cutoff(), "gave up")
        .await
        .unwrap();
    // Pending, however long ago they were queued: stay.
    outbox
        .retry_at(retried, BASE + TimeDelta::minutes(5), "later")
        .await
        .unwrap();

    let outcome = ports.pruner.prune(&rules()).await.unwrap();

    assert_eq!(
        outcome,
        PruneOutcome::Done(Pruned {
            outbox: 2,
            ..Pruned::default()
        })
    );
    assert_eq!(
        outbox.stats().await.unwrap(),
        OutboxStats {
            pending: 2,
            sent: 1,
            failed: 1,
            oldest_pending: Some(BASE),
        }
    );
    let due = outbox
        .claim(at(TimeDelta::days(2)), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 2, "the pending messages are still there");
    assert_eq!(
        ports.pruner.prune(&rules()).await.unwrap(),
        PruneOutcome::Done(Pruned::default())
    );
}

pub async fn a_pass_deletes_account_tokens_ended_before_the_instant_and_keeps_the_rest(
    ports: Repositories,
) {
    const RESET: AccountTokenKind = AccountTokenKind::PasswordReset;
    let tokens = &ports.account_tokens;
    let mut users = Vec::new();
    for name in [
        "expired",
        "used",
        "revoked",
        "expires_at",
        "used_at",
        "live",
    ] {
        users.push(create_user(&ports, name).await);
    }
    let [expired, used, revoked, expires_at, used_at, live] = &users[..] else {
        unreachable!()
    };
    let far = cutoff() + TimeDelta::days(30);
    let token = |user, label, expires| {
        let mut token = new_account_token(user, RESET, label, BASE);
        token.expires_at = expires;
        token
    };
    // Expired a microsecond before the instant: goes.
    issue(
        &ports,
        token(expired, "expired", cutoff() - TimeDelta::microseconds(1)),
        "expired",
    )
    .await;
    // Used, and revoked, a second before the instant: go.
    issue(&ports, token(used, "used", far), "used").await;
    issue(&ports, token(revoked, "revoked", far), "revoked").await;
    // Expiring, and used, at the instant: stay.
    issue(
        &ports,
        token(expires_at, "expires-at", cutoff()),
        "expires-at",
    )
    .await;
    issue(&ports, token(used_at, "used-at", far), "used-at").await;
    // Live: stays, and stays live.
    issue(&ports, token(live, "live", far), "live").await;
    let redeem = |label: &'static str, now| async move {
        let found = tokens
            .find_live(&account_token_hash(label), RESET, now)
            .await
            .unwrap()
            .expect("live before its redemption");
        assert!(
            tokens
                .redeem_password_reset(
                    found.id,
                    domain::PasswordHash::new("$2b$12$reset"),
                    now,
                    mail("notice@example.com", label),
                    now,
                )
                .await
                .unwrap()
        );
    };
    redeem("used", cutoff() - TimeDelta::seconds(1)).await;
    redeem("used-at", cutoff()).await;
    assert_eq!(
        tokens
            .revoke_all(revoked.id, RESET, cutoff() - TimeDelta::seconds(1))
            .await
            .unwrap(),
        1
    );

    let outcome = ports.pruner.prune(&rules()).await.unwrap();

    assert_eq!(
        outcome,
        PruneOutcome::Done(Pruned {
            account_tokens: 3,
            ..Pruned::default()
        })
    );
    let found = tokens
        .find_live(&account_token_hash("live"), RESET, cutoff())
        .await
        .unwrap()
        .expect("the live token is kept");
    assert_eq!(found.user_id, live.id);
    assert_eq!(
        ports.pruner.prune(&rules()).await.unwrap(),
        PruneOutcome::Done(Pruned::default()),
        "the tokens that ended at the instant stay"
    );
    // The deleted hashes are free again; the kept ones are not.
    issue(&ports, token(expired, "expired", far), "expired-again").await;
}
