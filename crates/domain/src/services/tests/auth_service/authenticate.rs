//! Authentication of a request's access token: the signature, then the
//! shared store's word that the session is live and the user active (or,
//! for `verify_token`, the signature alone).

use mockall::predicate::eq;

use super::super::{unavailable, user};
use super::{Ports, idle_hasher};
use crate::credential::Credential;
use crate::ports::{MockSessionRepository, MockTokenService, TokenError, VerifiedAccess};
use crate::services::tests::fixed_now;
use crate::services::{AuthService, AuthenticateError, Authenticated};
use crate::session::SessionId;
use crate::user::{User, UserId};

/// A bearer token all the way, as the HTTP layer proves it: the signature,
/// then the session and user.
async fn authenticate(
    service: &AuthService,
    token: &str,
) -> Result<Authenticated, AuthenticateError> {
    service
        .authenticate_verified(service.verify_token(token)?)
        .await
}

/// A token service that verifies `token` once with `outcome`.
fn verifying_token(
    token: &'static str,
    outcome: fn() -> Result<VerifiedAccess, TokenError>,
) -> MockTokenService {
    let mut tokens = MockTokenService::new();
    tokens
        .expect_verify()
        .with(eq(token))
        .times(1)
        .returning(move |_| outcome());
    tokens.expect_issue().never();
    tokens
}

/// User 3's session 9.
fn access() -> Result<VerifiedAccess, TokenError> {
    Ok(VerifiedAccess {
        user: UserId(3),
        session: SessionId(9),
    })
}

/// A store asked once, at the current time, for user 3 in session 9, and
/// answering `found`.
fn checking(found: Option<User>) -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_find_authenticated()
        .withf(move |user_id, session_id, now| {
            *user_id == UserId(3) && *session_id == SessionId(9) && *now == fixed_now()
        })
        .times(1)
        .returning(move |_, _, _| Ok(found.clone()));
    sessions
}

/// A store that must not be asked.
fn unasked() -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions.expect_find_authenticated().never();
    sessions
}

#[tokio::test]
async fn authenticate_with_an_invalid_token_is_invalid_token_without_a_lookup() {
    let mut ports = Ports::new();
    ports.sessions = unasked();
    ports.users.expect_find_by_id().never();
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("garbage", || Err(TokenError::Invalid));

    let result = authenticate(&ports.service(), "garbage").await;

    assert!(
        matches!(result, Err(AuthenticateError::InvalidToken)),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_a_valid_token_whose_user_or_session_is_gone_is_invalid_token() {
    // The store answers None for a missing or inactive user and for a
    // revoked, expired or someone else's session alike.
    let mut ports = Ports::new();
    ports.sessions = checking(None);
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("tok", access);

    let result = authenticate(&ports.service(), "tok").await;

    assert!(
        matches!(result, Err(AuthenticateError::InvalidToken)),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_a_valid_token_of_a_live_session_returns_the_user_and_that_session() {
    let mut ports = Ports::new();
    ports.sessions = checking(Some(user(3, false, true)));
    ports.users.expect_find_by_id().never();
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("tok", access);

    let authenticated = authenticate(&ports.service(), "tok").await.unwrap();

    assert_eq!(
        authenticated,
        Authenticated {
            user: user(3, false, true),
            credential: Credential::Session(SessionId(9)),
        }
    );
}

#[tokio::test]
async fn authenticate_when_the_token_service_fails_is_unexpected_not_invalid_token() {
    let mut ports = Ports::new();
    ports.sessions = unasked();
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("tok", || {
        Err(TokenError::Unexpected(anyhow::anyhow!("key store down")))
    });

    let result = authenticate(&ports.service(), "tok").await;

    assert!(
        matches!(result, Err(AuthenticateError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_when_the_store_is_unavailable_is_unavailable_not_invalid_token() {
    let mut ports = Ports::new();
    ports
        .sessions
        .expect_find_authenticated()
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("tok", access);

    let result = authenticate(&ports.service(), "tok").await;

    assert!(
        matches!(result, Err(AuthenticateError::Unavailable(_))),
        "{result:?}"
    );
}

// --- verify_token: the signature alone, for use cases that prove the session
// in their own statement -----------------------------------------------------

#[test]
fn verify_token_returns_the_claims_without_asking_the_store() {
    let mut ports = Ports::new();
    ports.sessions = unasked();
    ports.users.expect_find_by_id().never();
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("tok", access);

    let verified = ports.service().verify_token("tok").unwrap();

    assert_eq!(verified, access().unwrap());
}

#[test]
fn verify_token_of_an_invalid_token_is_invalid_token() {
    let mut ports = Ports::new();
    ports.sessions = unasked();
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("garbage", || Err(TokenError::Invalid));

    let result = ports.service().verify_token("garbage");

    assert!(
        matches!(result, Err(AuthenticateError::InvalidToken)),
        "{result:?}"
    );
}

#[test]
fn verify_token_when_the_token_service_fails_is_unexpected() {
    let mut ports = Ports::new();
    ports.sessions = unasked();
    ports.hasher = idle_hasher();
    ports.tokens = verifying_token("tok", || {
        Err(TokenError::Unexpected(anyhow::anyhow!("key store down")))
    });

    let result = ports.service().verify_token("tok");

    assert!(
        matches!(result, Err(AuthenticateError::Unexpected(_))),
        "{result:?}"
    );
}
