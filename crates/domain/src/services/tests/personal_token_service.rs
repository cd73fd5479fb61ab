//! [`PersonalTokenService`] with mocked token store and secrets.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use mockall::predicate::eq;

use super::{authenticated, clock, fixed_now, user};
use crate::credential::Credential;
use crate::personal_token::{
    PersonalToken, PersonalTokenHash, PersonalTokenId, PersonalTokenSecret, TokenName, TokenScopes,
};
use crate::ports::{MockPersonalTokenRepository, MockPersonalTokenSecrets};
use crate::services::{
    AuthenticateError, Authenticated, PersonalTokenError, PersonalTokenPolicy,
    PersonalTokenService, TokenRequest,
};
use crate::user::UserId;

fn secrets() -> MockPersonalTokenSecrets {
    let mut secrets = MockPersonalTokenSecrets::new();
    secrets
        .expect_generate()
        .returning(|| PersonalTokenSecret::new("pat_secret".to_owned()));
    secrets
        .expect_hash()
        .returning(|secret| PersonalTokenHash::new(format!("hash-of-{secret}")));
    secrets
}

fn service(tokens: MockPersonalTokenRepository) -> PersonalTokenService {
    PersonalTokenService::new(
        Arc::new(tokens),
        Arc::new(secrets()),
        clock(),
        PersonalTokenPolicy {
            max_per_user: 2,
            ..PersonalTokenPolicy::default()
        },
    )
}

fn stored(id: i64, last_used: Option<TimeDelta>) -> PersonalToken {
    PersonalToken {
        id: PersonalTokenId(id),
        user_id: UserId(3),
        name: TokenName::parse("ci").unwrap(),
        scopes: TokenScopes::ALL,
        created_at: fixed_now() - TimeDelta::days(1),
        expires_at: None,
        last_used_at: last_used.map(|ago| fixed_now() - ago),
        revoked_at: None,
    }
}

fn through_a_token() -> Authenticated {
    Authenticated {
        credential: Credential::PersonalToken(PersonalTokenId(9)),
        ..authenticated(3, 1)
    }
}

fn request(expires_in: Option<Duration>) -> TokenRequest {
    TokenRequest {
        name: TokenName::parse("ci").unwrap(),
        scopes: TokenScopes::ALL,
        expires_in,
    }
}

#[tokio::test]
async fn create_stores_the_hash_and_the_expiry_and_answers_the_secret_once() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_list()
        .returning(|_| Ok(vec![stored(1, None)]));
    tokens
        .expect_create()
        .withf(|new| {
            new.user_id == UserId(3)
                && new.hash.as_str() == "hash-of-pat_secret"
                && new.created_at == fixed_now()
                && new.expires_at == Some(fixed_now() + TimeDelta::days(7))
        })
        .returning(|_| Ok(stored(2, None)));

    let made = service(tokens)
        .create(
            &authenticated(3, 1),
            request(Some(Duration::from_secs(7 * 86_400))),
        )
        .await
        .unwrap();

    assert_eq!(made.secret.expose(), "pat_secret");
    assert_eq!(made.token.id, PersonalTokenId(2));
}

#[tokio::test]
async fn create_at_the_limit_is_refused_and_stores_nothing() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_list()
        .returning(|_| Ok(vec![stored(1, None), stored(2, None)]));
    tokens.expect_create().never();

    let error = service(tokens)
        .create(&authenticated(3, 1), request(None))
        .await
        .unwrap_err();

    assert!(
        matches!(error, PersonalTokenError::TooMany { max: 2 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_tokens_caller_cannot_make_list_or_revoke_tokens() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_list().never();
    tokens.expect_create().never();
    tokens.expect_revoke().never();
    let service = service(tokens);
    let caller = through_a_token();

    let made = service.create(&caller, request(None)).await;
    let listed = service.list(&caller).await;
    let revoked = service.revoke(&caller, PersonalTokenId(9)).await;

    assert!(matches!(made, Err(PersonalTokenError::PersonalToken)));
    assert!(matches!(listed, Err(PersonalTokenError::PersonalToken)));
    assert!(matches!(revoked, Err(PersonalTokenError::PersonalToken)));
}

#[tokio::test]
async fn revoking_what_the_store_does_not_find_is_not_found() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_revoke()
        .with(eq(UserId(3)), eq(PersonalTokenId(5)), eq(fixed_now()))
        .returning(|_, _, _| Ok(false));

    let error = service(tokens)
        .revoke(&authenticated(3, 1), PersonalTokenId(5))
        .await
        .unwrap_err();

    assert!(matches!(error, PersonalTokenError::NotFound));
}

#[tokio::test]
async fn authenticate_names_the_token_and_records_a_use_at_most_once_a_minute() {
    for (last_used, touches) in [
        (None, 1),
        (Some(TimeDelta::seconds(61)), 1),
        (Some(TimeDelta::seconds(60)), 0),
        (Some(TimeDelta::seconds(5)), 0),
    ] {
        let mut tokens = MockPersonalTokenRepository::new();
        tokens
            .expect_find_live()
            .withf(|hash, now| hash.as_str() == "hash-of-pat_abc" && *now == fixed_now())
            .returning(move |_, _| Ok(Some((stored(9, last_used), user(3, false, true)))));
        tokens
            .expect_touch()
            .with(
                eq(PersonalTokenId(9)),
                eq(fixed_now()),
                eq(fixed_now() - TimeDelta::seconds(60)),
            )
            .times(touches)
            .returning(|_, _, _| Ok(true));

        let caller = service(tokens).authenticate("pat_abc").await.unwrap();

        assert_eq!(caller.authenticated, through_a_token(), "{last_used:?}");
        assert_eq!(caller.scopes, TokenScopes::ALL);
    }
}

#[tokio::test]
async fn an_unknown_or_dead_token_is_an_invalid_token() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_find_live().returning(|_, _| Ok(None));
    tokens.expect_touch().never();

    let error = service(tokens).authenticate("pat_gone").await.unwrap_err();

    assert!(matches!(error, AuthenticateError::InvalidToken));
}
