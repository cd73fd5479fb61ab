//! Refresh-token rotation: spending, the grace-window replay, and reuse
//! after the window revoking the session.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use mockall::Sequence;
use mockall::predicate::eq;

use super::super::{SharedTime, long_ago, session, unavailable, user};
use super::{Ports, hash_of, material, no_issue, signed, signing};
use crate::ports::MockSessionRepository;
use crate::services::RefreshError;
use crate::services::tests::fixed_now;
use crate::session::{RefreshToken, Session, SessionId, StoredRefreshToken};
use crate::user::UserId;

/// The token the client presents; [`material`] makes its successor
/// `presented+1`.
const PRESENTED: &str = "presented";
const SUCCESSOR: &str = "presented+1";

fn presented() -> RefreshToken {
    RefreshToken::new(PRESENTED.to_owned())
}

/// Session 42 of user 7, live.
fn live() -> Session {
    session(42, 7)
}

fn current(session: Session) -> StoredRefreshToken {
    StoredRefreshToken {
        session,
        spent_at: None,
    }
}

fn spent(session: Session, at: DateTime<Utc>) -> StoredRefreshToken {
    StoredRefreshToken {
        session,
        spent_at: Some(at),
    }
}

/// A session store that finds the presented token once as `stored`.
fn holding(stored: Option<StoredRefreshToken>) -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_find_refresh_token()
        .with(eq(hash_of(PRESENTED)))
        .times(1)
        .returning(move |_| Ok(stored.clone()));
    sessions
}

/// Expects the check, at the current time, that user 7 is active and
/// session 42 live, answering `active`.
fn expect_authenticated(sessions: &mut MockSessionRepository, active: bool) {
    sessions
        .expect_find_authenticated()
        .withf(move |user_id, session_id, now| {
            *user_id == UserId(7) && *session_id == SessionId(42) && *now == fixed_now()
        })
        .times(1)
        .returning(move |_, _, _| Ok(active.then(|| user(7, false, true))));
}

/// Neither a rotation nor a revocation may happen.
fn expect_no_write(sessions: &mut MockSessionRepository) {
    sessions.expect_rotate().never();
    sessions.expect_revoke().never();
    sessions.expect_revoke_all().never();
}

#[tokio::test]
async fn refresh_with_an_unknown_token_is_invalid() {
    let mut ports = Ports::new();
    ports.sessions = holding(None);
    ports.sessions.expect_find_authenticated().never();
    expect_no_write(&mut ports.sessions);
    ports.refresh_tokens = material();
    ports.tokens = no_issue();

    let result = ports.service().refresh(&presented()).await;

    assert!(matches!(result, Err(RefreshError::Invalid)), "{result:?}");
}

#[tokio::test]
async fn refresh_of_a_revoked_or_expired_session_is_invalid_and_writes_nothing() {
    let revoked = Session {
        revoked_at: Some(long_ago()),
        ..live()
    };
    let expired = Session {
        expires_at: fixed_now() - TimeDelta::seconds(1),
        ..live()
    };
    for session in [revoked, expired] {
        for stored in [current(session.clone()), spent(session, long_ago())] {
            let mut ports = Ports::new();
            ports.sessions = holding(Some(stored));
            // Even a user the store still deems active does not save it.
            ports
                .sessions
                .expect_find_authenticated()
                .times(0..=1)
                .returning(|_, _, _| Ok(Some(user(7, false, true))));
            expect_no_write(&mut ports.sessions);
            ports.refresh_tokens = material();
            ports.tokens = no_issue();

            let result = ports.service().refresh(&presented()).await;

            assert!(matches!(result, Err(RefreshError::Invalid)), "{result:?}");
        }
    }
}

#[tokio::test]
async fn refresh_for_an_inactive_or_missing_user_is_invalid_and_rotates_nothing() {
    let mut ports = Ports::new();
    ports.sessions = holding(Some(current(live())));
    expect_authenticated(&mut ports.sessions, false);
    expect_no_write(&mut ports.sessions);
    ports.refresh_tokens = material();
    ports.tokens = no_issue();

    let result = ports.service().refresh(&presented()).await;

    assert!(matches!(result, Err(RefreshError::Invalid)), "{result:?}");
}

#[tokio::test]
async fn refresh_of_the_current_token_rotates_to_its_successor_and_issues_the_pair_now() {
    let session = live();
    let expires_at = session.expires_at;
    let mut ports = Ports::new();
    ports.sessions = holding(Some(current(session)));
    expect_authenticated(&mut ports.sessions, true);
    let rotated_at: SharedTime = Arc::default();
    let write = Arc::clone(&rotated_at);
    ports
        .sessions
        .expect_rotate()
        .withf(move |session_id, spent, successor, now| {
            *session_id == SessionId(42)
                && *spent == hash_of(PRESENTED)
                && *successor == hash_of(SUCCESSOR)
                && *now == fixed_now()
        })
        .times(1)
        .returning(move |_, _, _, now| {
            *write.lock().unwrap() = Some(now);
            Ok(true)
        });
    ports.sessions.expect_revoke().never();
    ports.refresh_tokens = material();
    let read = Arc::clone(&rotated_at);
    ports.tokens = signing(move |claims| {
        Some(claims.issued_at) == *read.lock().unwrap()
            && claims.user == UserId(7)
            && claims.session == SessionId(42)
            && claims.token_id == format!("jti({SUCCESSOR})")
    });

    let pair = ports.service().refresh(&presented()).await.unwrap();

    let now = rotated_at.lock().unwrap().unwrap();
    assert_eq!(pair.refresh_token.expose(), SUCCESSOR);
    assert_eq!(pair.session, SessionId(42));
    // The session's remaining lifetime in whole seconds, a started second
    // counting as one.
    let remaining_ms = (expires_at - now).num_milliseconds();
    assert_eq!(
        i64::try_from(pair.refresh_expires_in).unwrap(),
        (remaining_ms + 999) / 1000
    );
}

#[tokio::test]
async fn refresh_that_loses_the_rotation_race_answers_as_a_replay_within_the_grace_window() {
    // The concurrent winner spent the token a moment ago.
    let spent_at = fixed_now();
    let mut ports = Ports::new();
    let mut sequence = Sequence::new();
    ports
        .sessions
        .expect_find_refresh_token()
        .with(eq(hash_of(PRESENTED)))
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(Some(current(live()))));
    expect_authenticated(&mut ports.sessions, true);
    ports
        .sessions
        .expect_rotate()
        .withf(|session_id, spent, successor, _| {
            *session_id == SessionId(42)
                && *spent == hash_of(PRESENTED)
                && *successor == hash_of(SUCCESSOR)
        })
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _, _, _| Ok(false));
    ports
        .sessions
        .expect_find_refresh_token()
        .with(eq(hash_of(PRESENTED)))
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_| Ok(Some(spent(live(), spent_at))));
    ports.sessions.expect_revoke().never();
    ports.refresh_tokens = material();
    ports.tokens = signing(move |claims| {
        claims.issued_at == spent_at
            && claims.session == SessionId(42)
            && claims.token_id == format!("jti({SUCCESSOR})")
    });

    let pair = ports.service().refresh(&presented()).await.unwrap();

    assert_eq!(pair.refresh_token.expose(), SUCCESSOR);
    assert_eq!(pair.session, SessionId(42));
}

#[tokio::test]
async fn replay_within_the_grace_window_answers_the_same_successor_issued_when_it_was_spent() {
    let spent_at = fixed_now() - TimeDelta::seconds(3);
    let mut ports = Ports::new();
    ports.sessions = holding(Some(spent(live(), spent_at)));
    expect_authenticated(&mut ports.sessions, true);
    expect_no_write(&mut ports.sessions);
    ports.refresh_tokens = material();
    ports.tokens = signing(move |claims| {
        claims.issued_at == spent_at
            && claims.user == UserId(7)
            && claims.session == SessionId(42)
            && claims.token_id == format!("jti({SUCCESSOR})")
    });

    let pair = ports.service().refresh(&presented()).await.unwrap();

    assert_eq!(pair.refresh_token.expose(), SUCCESSOR);
    assert_eq!(pair.session, SessionId(42));
}

#[tokio::test]
async fn replay_within_the_grace_window_answers_the_very_same_pair_as_the_rotation() {
    let mut ports = Ports::new();
    let rotated_at: SharedTime = Arc::default();
    let mut sequence = Sequence::new();
    ports
        .sessions
        .expect_find_refresh_token()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(Some(current(live()))));
    let write = Arc::clone(&rotated_at);
    ports
        .sessions
        .expect_rotate()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_, _, _, now| {
            *write.lock().unwrap() = Some(now);
            Ok(true)
        });
    let read = Arc::clone(&rotated_at);
    ports
        .sessions
        .expect_find_refresh_token()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_| Ok(Some(spent(live(), read.lock().unwrap().unwrap()))));
    ports
        .sessions
        .expect_find_authenticated()
        .times(2)
        .returning(|_, _, _| Ok(Some(user(7, false, true))));
    ports.sessions.expect_revoke().never();
    ports.refresh_tokens = material();
    ports
        .tokens
        .expect_issue()
        .times(2)
        .returning(|claims| Ok(signed(claims)));
    let service = ports.service();

    let first = service.refresh(&presented()).await.unwrap();
    let replayed = service.refresh(&presented()).await.unwrap();

    assert_eq!(replayed.access, first.access);
    assert_eq!(replayed.refresh_token, first.refresh_token);
    assert_eq!(replayed.session, first.session);
}

#[tokio::test]
async fn replay_after_the_grace_window_revokes_the_session_and_is_reused() {
    let before = fixed_now();
    let mut ports = Ports::new();
    // The default grace is 10 s.
    ports.sessions = holding(Some(spent(live(), before - TimeDelta::seconds(11))));
    expect_authenticated(&mut ports.sessions, true);
    ports
        .sessions
        .expect_revoke()
        .withf(move |user_id, session_id, now| {
            *user_id == UserId(7) && *session_id == SessionId(42) && *now == fixed_now()
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    ports.sessions.expect_rotate().never();
    ports.sessions.expect_revoke_all().never();
    ports.refresh_tokens = material();
    ports.tokens = no_issue();

    let result = ports.service().refresh(&presented()).await;

    assert!(
        matches!(result, Err(RefreshError::Reused(SessionId(42)))),
        "{result:?}"
    );
}

#[tokio::test]
async fn replay_after_a_configured_grace_window_is_reused() {
    let mut ports = Ports::new();
    ports.policy.reuse_grace = std::time::Duration::from_secs(2);
    ports.sessions = holding(Some(spent(live(), fixed_now() - TimeDelta::seconds(3))));
    expect_authenticated(&mut ports.sessions, true);
    ports
        .sessions
        .expect_revoke()
        .with(
            eq(UserId(7)),
            eq(SessionId(42)),
            mockall::predicate::always(),
        )
        .times(1)
        .returning(|_, _, _| Ok(true));
    ports.sessions.expect_rotate().never();
    ports.refresh_tokens = material();
    ports.tokens = no_issue();

    let result = ports.service().refresh(&presented()).await;

    assert!(
        matches!(result, Err(RefreshError::Reused(SessionId(42)))),
        "{result:?}"
    );
}

#[tokio::test]
async fn refresh_when_the_store_is_unavailable_is_unavailable() {
    let mut ports = Ports::new();
    ports
        .sessions
        .expect_find_refresh_token()
        .times(1)
        .returning(|_| Err(unavailable()));
    expect_no_write(&mut ports.sessions);
    ports.refresh_tokens = material();
    ports.tokens = no_issue();

    let result = ports.service().refresh(&presented()).await;

    assert!(
        matches!(result, Err(RefreshError::Unavailable(_))),
        "{result:?}"
    );
}

/// The grace window closes as the clock moves: a replay of a token spent at
/// `t` answers its successor while the clock reads up to `t + grace`, and
/// revokes the session once it reads a microsecond later.
#[tokio::test]
async fn the_grace_window_closes_the_moment_the_clock_passes_it() {
    let spent_at = fixed_now();
    let mut ports = Ports::new();
    let clock = Arc::clone(&ports.clock);
    ports
        .sessions
        .expect_find_refresh_token()
        .with(eq(hash_of(PRESENTED)))
        .times(2)
        .returning(move |_| Ok(Some(spent(live(), spent_at))));
    ports
        .sessions
        .expect_find_authenticated()
        .times(2)
        .returning(|_, _, _| Ok(Some(user(7, false, true))));
    ports.sessions.expect_rotate().never();
    let grace_end = spent_at + TimeDelta::seconds(10);
    ports
        .sessions
        .expect_revoke()
        .withf(move |user_id, session_id, now| {
            *user_id == UserId(7)
                && *session_id == SessionId(42)
                && *now == grace_end + TimeDelta::microseconds(1)
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    ports.refresh_tokens = material();
    ports.tokens = signing(move |claims| claims.issued_at == spent_at);
    let service = ports.service();

    // The default grace is 10 s: at its last microsecond, still a retry.
    clock.advance(std::time::Duration::from_secs(10));
    let pair = service.refresh(&presented()).await.unwrap();
    assert_eq!(pair.refresh_token.expose(), SUCCESSOR);

    clock.advance(std::time::Duration::from_micros(1));
    let result = service.refresh(&presented()).await;
    assert!(
        matches!(result, Err(RefreshError::Reused(SessionId(42)))),
        "{result:?}"
    );
}
