//! [`domain::ports::SessionRepository`]: sessions with their refresh-token
//! families, rotation with exactly one winner, revocation, the active list
//! and the one-round-trip authentication.

use std::sync::Arc;

use chrono::TimeDelta;
use domain::ports::Repositories;
use domain::{ClientInfo, NewSession, SessionId, UserChanges, UserId, UserPatch};

use crate::support::{BASE, after, at, create_session, create_user, new_session, token_hash};

pub async fn create_stores_it_with_its_current_first_token(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let created_at = BASE + TimeDelta::microseconds(123_456);
    let new = NewSession {
        expires_at: created_at + TimeDelta::days(7) + TimeDelta::microseconds(1),
        ..new_session(alice.id, "first", created_at)
    };

    let session = repo.create(new.clone()).await.unwrap();

    assert!(session.id.0 > 0);
    assert_eq!(session.user_id, alice.id);
    assert_eq!(session.created_at, created_at);
    assert_eq!(session.last_used_at, created_at);
    assert_eq!(session.expires_at, new.expires_at);
    assert_eq!(session.revoked_at, None);
    assert_eq!(session.client, new.client);

    let stored = repo
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .expect("the first token");
    assert_eq!(stored.session, session);
    assert_eq!(stored.spent_at, None);
    let other = repo
        .create(new_session(alice.id, "second", created_at))
        .await
        .unwrap();
    assert_ne!(other.id, session.id);
}

pub async fn find_refresh_token_of_an_unknown_hash_is_none(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    create_session(&ports, alice.id, "first").await;

    assert_eq!(
        ports
            .sessions
            .find_refresh_token(&token_hash("other"))
            .await
            .unwrap(),
        None
    );
}

pub async fn rotate_spends_the_token_stores_the_successor_and_moves_last_used_at(
    ports: Repositories,
) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "first").await;
    let later = session.created_at + TimeDelta::minutes(5);

    let rotated = repo
        .rotate(
            session.id,
            &token_hash("first"),
            &token_hash("second"),
            later,
        )
        .await
        .unwrap();

    assert!(rotated);
    let spent = repo
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.spent_at, Some(later));
    let current = repo
        .find_refresh_token(&token_hash("second"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.spent_at, None);
    assert_eq!(current.session.id, session.id);
    assert_eq!(current.session.last_used_at, later);
    assert_eq!(current.session.created_at, session.created_at);
    assert_eq!(spent.session, current.session);

    // The successor rotates in turn.
    let even_later = later + TimeDelta::minutes(5);
    assert!(
        repo.rotate(
            session.id,
            &token_hash("second"),
            &token_hash("third"),
            even_later
        )
        .await
        .unwrap()
    );
    let family: Vec<_> = ["first", "second", "third"]
        .into_iter()
        .map(|label| async move {
            repo.find_refresh_token(&token_hash(label))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{label} is kept"))
        })
        .collect();
    let mut spent_at = Vec::new();
    for token in family {
        let token = token.await;
        assert_eq!(token.session.id, session.id);
        assert_eq!(token.session.last_used_at, even_later);
        spent_at.push(token.spent_at);
    }
    assert_eq!(spent_at, [Some(later), Some(even_later), None]);
}

pub async fn rotating_a_spent_token_again_is_false_and_writes_nothing(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "first").await;
    let later = session.created_at + TimeDelta::minutes(5);
    assert!(
        repo.rotate(
            session.id,
            &token_hash("first"),
            &token_hash("second"),
            later
        )
        .await
        .unwrap()
    );

    let again = repo
        .rotate(
            session.id,
            &token_hash("first"),
            &token_hash("other"),
            later + TimeDelta::minutes(1),
        )
        .await
        .unwrap();

    assert!(!again);
    assert_eq!(
        repo.find_refresh_token(&token_hash("other")).await.unwrap(),
        None
    );
    let spent = repo
        .find_refresh_token(&token_hash("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.spent_at, Some(later));
    assert_eq!(spent.session.last_used_at, later);
    let current = repo
        .find_refresh_token(&token_hash("second"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.spent_at, None, "the current token is still current");
}

pub async fn rotating_under_another_session_id_is_false(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let mine = create_session(&ports, alice.id, "mine").await;
    let other = create_session(&ports, alice.id, "other").await;

    let rotated = repo
        .rotate(
            other.id,
            &token_hash("mine"),
            &token_hash("next"),
            at(TimeDelta::minutes(1)),
        )
        .await
        .unwrap();

    assert!(!rotated);
    let stored = repo
        .find_refresh_token(&token_hash("mine"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.session.id, stored.spent_at), (mine.id, None));
    assert_eq!(
        repo.find_refresh_token(&token_hash("next")).await.unwrap(),
        None
    );
    let others = repo
        .find_refresh_token(&token_hash("other"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(others.session, other, "the other session was not touched");
}

pub async fn concurrent_rotations_of_one_token_let_exactly_one_win(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "contested").await;
    let now = at(TimeDelta::minutes(1));
    let start = Arc::new(tokio::sync::Barrier::new(20));

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = Arc::clone(&ports.sessions);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let successor = token_hash(&format!("successor-{i}"));
                start.wait().await;
                let won = repo
                    .rotate(session.id, &token_hash("contested"), &successor, now)
                    .await
                    .unwrap();
                (won, successor)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        let (won, successor) = task.await.unwrap();
        if won {
            winners.push(successor);
        } else {
            losers.push(successor);
        }
    }

    assert_eq!(winners.len(), 1, "{} rotations won", winners.len());
    let repo = &ports.sessions;
    let current = repo.find_refresh_token(&winners[0]).await.unwrap().unwrap();
    assert_eq!(current.spent_at, None);
    assert_eq!(current.session.id, session.id);
    assert_eq!(
        repo.find_refresh_token(&token_hash("contested"))
            .await
            .unwrap()
            .unwrap()
            .spent_at,
        Some(now)
    );
    for loser in &losers {
        assert_eq!(
            repo.find_refresh_token(loser).await.unwrap(),
            None,
            "a losing rotation stored its successor"
        );
    }
}

pub async fn revoke_ends_the_users_own_session_but_not_another_users(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let session = create_session(&ports, alice.id, "alice").await;
    let now = at(TimeDelta::minutes(1));

    assert!(!repo.revoke(bob.id, session.id, now).await.unwrap());
    assert!(
        repo.find_authenticated(alice.id, session.id, now)
            .await
            .unwrap()
            .is_some()
    );

    assert!(repo.revoke(alice.id, session.id, now).await.unwrap());
    let stored = repo
        .find_refresh_token(&token_hash("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.session.revoked_at, Some(now));
    // Ending it again changes nothing.
    assert!(
        !repo
            .revoke(alice.id, session.id, now + TimeDelta::seconds(1))
            .await
            .unwrap()
    );
    let stored = repo
        .find_refresh_token(&token_hash("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.session.revoked_at, Some(now));
    assert!(
        !repo
            .revoke(alice.id, SessionId(session.id.0 + 1000), now)
            .await
            .unwrap()
    );
}

pub async fn revoke_of_an_expired_session_is_false(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "old").await;

    let after_expiry = session.expires_at + TimeDelta::seconds(1);

    assert!(
        !repo
            .revoke(alice.id, session.id, after_expiry)
            .await
            .unwrap()
    );
    assert!(
        !repo
            .revoke(alice.id, session.id, session.expires_at)
            .await
            .unwrap()
    );
    let stored = repo
        .find_refresh_token(&token_hash("old"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.session.revoked_at, None);
}

pub async fn revoke_all_ends_every_live_session_of_the_user_except_the_kept_one(
    ports: Repositories,
) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let one = create_session(&ports, alice.id, "one").await;
    let kept = create_session(&ports, alice.id, "kept").await;
    let three = create_session(&ports, alice.id, "three").await;
    let already = create_session(&ports, alice.id, "already").await;
    let bobs = create_session(&ports, bob.id, "bob").await;
    let now = at(TimeDelta::minutes(1));
    assert!(repo.revoke(alice.id, already.id, now).await.unwrap());

    let ended = repo.revoke_all(alice.id, Some(kept.id), now).await.unwrap();

    assert_eq!(ended, 2);
    let active: Vec<SessionId> = repo
        .list_active(alice.id, now)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(active, [kept.id]);
    for id in [one.id, three.id] {
        assert!(
            repo.find_authenticated(alice.id, id, now)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(repo.list_active(bob.id, now).await.unwrap().len(), 1);
    assert_eq!(repo.list_active(bob.id, now).await.unwrap()[0].id, bobs.id);

    assert_eq!(repo.revoke_all(alice.id, None, now).await.unwrap(), 1);
    assert!(repo.list_active(alice.id, now).await.unwrap().is_empty());
    assert_eq!(repo.revoke_all(alice.id, None, now).await.unwrap(), 0);
    assert_eq!(repo.list_active(bob.id, now).await.unwrap(), [bobs]);
}

pub async fn revoke_all_neither_counts_nor_touches_expired_sessions(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let expired = repo
        .create(NewSession {
            expires_at: BASE + TimeDelta::minutes(1),
            ..new_session(alice.id, "expired", BASE)
        })
        .await
        .unwrap();
    let live = create_session(&ports, alice.id, "live").await;
    let now = at(TimeDelta::minutes(1));

    assert_eq!(repo.revoke_all(alice.id, None, now).await.unwrap(), 1);

    let expired_now = repo
        .find_refresh_token(&token_hash("expired"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        expired_now.session, expired,
        "an ended session is left alone"
    );
    let revoked = repo
        .find_refresh_token(&token_hash("live"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.session.id, live.id);
    assert_eq!(revoked.session.revoked_at, Some(now));
}

pub async fn list_active_is_newest_first_and_leaves_out_revoked_and_expired_sessions(
    ports: Repositories,
) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let now = at(TimeDelta::hours(1));
    let ago = |minutes: i64| now - TimeDelta::minutes(minutes);
    let oldest = repo
        .create(new_session(alice.id, "oldest", ago(30)))
        .await
        .unwrap();
    let tie_a = repo
        .create(new_session(alice.id, "tie_a", ago(20)))
        .await
        .unwrap();
    let tie_b = repo
        .create(new_session(alice.id, "tie_b", ago(20)))
        .await
        .unwrap();
    let newest = repo
        .create(new_session(alice.id, "newest", ago(10)))
        .await
        .unwrap();
    let revoked = repo
        .create(new_session(alice.id, "revoked", ago(5)))
        .await
        .unwrap();
    repo.revoke(alice.id, revoked.id, now).await.unwrap();
    let expired = repo
        .create(NewSession {
            expires_at: now,
            ..new_session(alice.id, "expired", ago(1))
        })
        .await
        .unwrap();
    repo.create(new_session(bob.id, "bobs", ago(2)))
        .await
        .unwrap();

    let listed = repo.list_active(alice.id, now).await.unwrap();

    let ids: Vec<SessionId> = listed.iter().map(|s| s.id).collect();
    assert!(tie_a.id < tie_b.id, "ids grow in the order of creation");
    assert_eq!(ids, [newest.id, tie_b.id, tie_a.id, oldest.id]);
    assert_eq!(listed[0], newest);
    assert!(!ids.contains(&expired.id));
    // Just before its expiry, the expired one was still listed.
    let before = repo
        .list_active(alice.id, now - TimeDelta::microseconds(1))
        .await
        .unwrap();
    assert_eq!(before[0].id, expired.id);
    assert!(
        repo.list_active(UserId(alice.id.0 + bob.id.0 + 1000), now)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn find_authenticated_returns_the_user_of_a_live_session(ports: Repositories) {
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "live").await;

    let found = ports
        .sessions
        .find_authenticated(alice.id, session.id, at(TimeDelta::minutes(1)))
        .await
        .unwrap();

    assert_eq!(found, Some(alice));
}

pub async fn find_authenticated_is_none_for_an_ended_session_or_the_wrong_user(
    ports: Repositories,
) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let now = at(TimeDelta::hours(2));
    let revoked = create_session(&ports, alice.id, "revoked").await;
    repo.revoke(alice.id, revoked.id, now).await.unwrap();
    let expired = repo
        .create(NewSession {
            expires_at: now,
            ..new_session(alice.id, "expired", now - TimeDelta::hours(1))
        })
        .await
        .unwrap();
    let bobs = create_session(&ports, bob.id, "bob").await;

    for (user, session, why) in [
        (alice.id, revoked.id, "revoked session"),
        (alice.id, expired.id, "expired session"),
        (alice.id, bobs.id, "another user's session"),
        (bob.id, revoked.id, "another user's session id"),
        (alice.id, SessionId(bobs.id.0 + 1000), "missing session"),
        (UserId(bob.id.0 + 1000), bobs.id, "missing user"),
    ] {
        assert_eq!(
            repo.find_authenticated(user, session, now).await.unwrap(),
            None,
            "{why}"
        );
    }
    assert_eq!(
        repo.find_authenticated(bob.id, bobs.id, now).await.unwrap(),
        Some(bob)
    );
}

pub async fn find_authenticated_is_none_from_the_instant_the_session_expires(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let session = create_session(&ports, alice.id, "ending").await;
    let just_before = session.expires_at - TimeDelta::microseconds(1);

    assert_eq!(
        repo.find_authenticated(alice.id, session.id, just_before)
            .await
            .unwrap(),
        Some(alice.clone())
    );
    for now in [session.expires_at, session.expires_at + TimeDelta::days(1)] {
        assert_eq!(
            repo.find_authenticated(alice.id, session.id, now)
                .await
                .unwrap(),
            None,
            "at {now}"
        );
    }
}

pub async fn find_authenticated_is_none_once_the_user_is_deactivated_or_deleted(
    ports: Repositories,
) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    let bob = create_user(&ports, "bob").await;
    let alices = create_session(&ports, alice.id, "alice").await;
    let bobs = create_session(&ports, bob.id, "bob").await;
    let now = at(TimeDelta::minutes(1));

    ports
        .users
        .update(
            alice.id,
            UserChanges {
                patch: UserPatch {
                    is_active: Some(false),
                    ..UserPatch::default()
                },
                updated_at: after(alice.updated_at),
                unverifies_email: false,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        repo.find_authenticated(alice.id, alices.id, now)
            .await
            .unwrap(),
        None
    );

    assert!(ports.users.delete(bob.id).await.unwrap());
    assert_eq!(
        repo.find_authenticated(bob.id, bobs.id, now).await.unwrap(),
        None
    );
}

pub async fn client_info_round_trips_unicode_and_a_512_character_user_agent(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;
    // 512 characters, many of them multi-byte: as long as the domain lets through.
    let user_agent: String = "Zoë/1.0 👩‍💻 \u{200f}مرحبا '; DROP TABLE sessions; -- "
        .chars()
        .cycle()
        .take(512)
        .collect();
    let client = ClientInfo::new(Some(&user_agent), Some("2001:db8::1".to_owned()));
    assert_eq!(client.user_agent.as_deref(), Some(user_agent.as_str()));

    let session = repo
        .create(NewSession {
            client: client.clone(),
            ..new_session(alice.id, "ua", BASE)
        })
        .await
        .unwrap();

    assert_eq!(session.client, client);
    let listed = repo.list_active(alice.id, BASE).await.unwrap();
    assert_eq!(listed[0].client, client);
    let found = repo
        .find_refresh_token(&token_hash("ua"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.session.client, client);
}

pub async fn absent_client_info_round_trips(ports: Repositories) {
    let repo = &ports.sessions;
    let alice = create_user(&ports, "alice").await;

    let session = repo
        .create(NewSession {
            client: ClientInfo::default(),
            ..new_session(alice.id, "anon", BASE)
        })
        .await
        .unwrap();

    assert_eq!(session.client, ClientInfo::default());
    let found = repo
        .find_refresh_token(&token_hash("anon"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.session.client, ClientInfo::default());
}
