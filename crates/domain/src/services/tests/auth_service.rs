//! Registration, login and token authentication.

use std::sync::Arc;

use mockall::predicate::eq;

use super::{HASH, PASSWORD, registration, stored, unavailable, unexpected, user};
use crate::error::{ConflictField, RepositoryError};
use crate::password::{Password, PasswordHash};
use crate::ports::{
    AccessToken, HashError, IssuedToken, MockPasswordHasher, MockTokenService, MockUserRepository,
    TokenError,
};
use crate::services::{AuthService, AuthenticateError, LoginError, RegisterError};
use crate::time;
use crate::user::UserId;

const WRONG_PASSWORD: &str = "incorrect horse battery";

fn service(
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenService,
) -> AuthService {
    AuthService::new(Arc::new(users), Arc::new(hasher), Arc::new(tokens))
}

fn issued(token: &str) -> IssuedToken {
    IssuedToken {
        access_token: AccessToken::new(token.to_owned()),
        expires_in: 86_400,
    }
}

/// A hasher that must never be asked anything.
fn idle_hasher() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().never();
    hasher.expect_verify().never();
    hasher.expect_verify_dummy().never();
    hasher
}

/// A token service that must never issue a token.
fn no_issue() -> MockTokenService {
    let mut tokens = MockTokenService::new();
    tokens.expect_issue().never();
    tokens.expect_verify().never();
    tokens
}

/// A hasher that hashes [`PASSWORD`] to [`HASH`], once.
fn hashing_once() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .withf(|password| password.expose() == PASSWORD)
        .times(1)
        .returning(|_| Ok(PasswordHash::new(HASH)));
    hasher
}

// --- register ---------------------------------------------------------------

#[tokio::test]
async fn register_hashes_the_password_and_stores_an_active_non_admin() {
    let before = time::now();
    let mut users = MockUserRepository::new();
    users
        .expect_create()
        .withf(move |new| {
            new.email.as_str() == "alice@example.com"
                && new.username.as_str() == "alice"
                && new.full_name.as_str() == "Alice Liddell"
                && new.password_hash.as_str() == HASH
                && new.password_hash.as_str() != PASSWORD
                && new.is_active
                && !new.is_admin
                && new.created_at >= before
                && new.created_at <= time::now()
        })
        .times(1)
        .returning(|new| Ok(stored(1, new)));

    let user = service(users, hashing_once(), no_issue())
        .register(registration())
        .await
        .unwrap();

    assert_eq!(user.id, UserId(1));
    assert!(user.is_active);
    assert!(!user.is_admin);
    assert_eq!(user.password_hash.as_str(), HASH);
}

async fn register_against_a_store_failing_with(
    error: fn() -> RepositoryError,
) -> Result<crate::user::User, RegisterError> {
    let mut users = MockUserRepository::new();
    users
        .expect_create()
        .times(1)
        .returning(move |_| Err(error()));
    service(users, hashing_once(), no_issue())
        .register(registration())
        .await
}

#[tokio::test]
async fn register_with_a_taken_email_is_conflict_on_email() {
    let result =
        register_against_a_store_failing_with(|| RepositoryError::Conflict(ConflictField::Email))
            .await;
    assert!(
        matches!(result, Err(RegisterError::Conflict(ConflictField::Email))),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_with_a_taken_username_is_conflict_on_username() {
    let result = register_against_a_store_failing_with(|| {
        RepositoryError::Conflict(ConflictField::Username)
    })
    .await;
    assert!(
        matches!(
            result,
            Err(RegisterError::Conflict(ConflictField::Username))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_when_the_store_is_unavailable_is_unavailable() {
    let result = register_against_a_store_failing_with(unavailable).await;
    assert!(
        matches!(result, Err(RegisterError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_when_the_store_fails_otherwise_is_unexpected() {
    let result = register_against_a_store_failing_with(unexpected).await;
    assert!(
        matches!(result, Err(RegisterError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn register_when_hashing_fails_is_unexpected_and_stores_nothing() {
    let mut users = MockUserRepository::new();
    users.expect_create().never();
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .times(1)
        .returning(|_| Err(HashError(anyhow::anyhow!("thread pool gone"))));

    let result = service(users, hasher, no_issue())
        .register(registration())
        .await;

    assert!(
        matches!(result, Err(RegisterError::Unexpected(_))),
        "{result:?}"
    );
}

// --- login ------------------------------------------------------------------

/// A repository that finds `login` once and answers `found`.
fn finding(login: &'static str, found: Option<crate::user::User>) -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_login()
        .with(eq(login))
        .times(1)
        .returning(move |_| Ok(found.clone()));
    users
}

/// A hasher whose `verify` of `password` against [`HASH`] answers `matches`, once.
fn verifying(password: &'static str, matches: bool) -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify()
        .withf(move |candidate, hash| candidate.expose() == password && hash.as_str() == HASH)
        .times(1)
        .returning(move |_, _| Ok(matches));
    hasher.expect_verify_dummy().never();
    hasher.expect_hash().never();
    hasher
}

/// A hasher that runs `verify_dummy` exactly once and nothing else.
fn dummy_once(password: &'static str) -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify_dummy()
        .withf(move |candidate| candidate.expose() == password)
        .times(1)
        .returning(|_| Ok(()));
    hasher.expect_verify().never();
    hasher.expect_hash().never();
    hasher
}

#[tokio::test]
async fn login_of_an_unknown_user_runs_verify_dummy_once_and_is_invalid_credentials() {
    let result = service(finding("nobody", None), dummy_once(PASSWORD), no_issue())
        .login("nobody", &Password::candidate(PASSWORD))
        .await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_with_wrong_password_is_invalid_credentials_and_issues_no_token() {
    let result = service(
        finding("user1", Some(user(1, false, true))),
        verifying(WRONG_PASSWORD, false),
        no_issue(),
    )
    .login("user1", &Password::candidate(WRONG_PASSWORD))
    .await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_of_an_inactive_user_with_the_right_password_is_inactive_and_issues_no_token() {
    let result = service(
        finding("user1", Some(user(1, false, false))),
        verifying(PASSWORD, true),
        no_issue(),
    )
    .login("user1", &Password::candidate(PASSWORD))
    .await;

    assert!(matches!(result, Err(LoginError::Inactive)), "{result:?}");
}

#[tokio::test]
async fn login_of_an_inactive_user_with_a_wrong_password_is_invalid_credentials_not_inactive() {
    let result = service(
        finding("user1", Some(user(1, false, false))),
        verifying(WRONG_PASSWORD, false),
        no_issue(),
    )
    .login("user1", &Password::candidate(WRONG_PASSWORD))
    .await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_with_the_right_password_issues_a_token_for_that_user() {
    let mut tokens = MockTokenService::new();
    tokens
        .expect_issue()
        .with(eq(UserId(7)))
        .times(1)
        .returning(|_| Ok(issued("signed-for-7")));
    tokens.expect_verify().never();

    let token = service(
        finding("user7@example.com", Some(user(7, false, true))),
        verifying(PASSWORD, true),
        tokens,
    )
    .login("user7@example.com", &Password::candidate(PASSWORD))
    .await
    .unwrap();

    assert_eq!(token, issued("signed-for-7"));
}

#[tokio::test]
async fn login_with_an_implausible_name_is_not_looked_up_but_still_runs_verify_dummy() {
    let too_long = "a".repeat(321);
    for login in ["", "ali\0ce", "\0", too_long.as_str()] {
        let mut users = MockUserRepository::new();
        users.expect_find_by_login().never();

        let result = service(users, dummy_once(PASSWORD), no_issue())
            .login(login, &Password::candidate(PASSWORD))
            .await;

        assert!(
            matches!(result, Err(LoginError::InvalidCredentials)),
            "{login:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn login_name_of_320_characters_is_looked_up_counting_characters_not_bytes() {
    // 320 characters, 640 bytes: the limit is on characters.
    let login = "é".repeat(320);
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_login()
        .with(eq(login.clone()))
        .times(1)
        .returning(|_| Ok(None));

    let result = service(users, dummy_once(PASSWORD), no_issue())
        .login(&login, &Password::candidate(PASSWORD))
        .await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_when_the_store_is_unavailable_is_unavailable() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_login()
        .times(1)
        .returning(|_| Err(unavailable()));

    let result = service(users, idle_hasher(), no_issue())
        .login("user1", &Password::candidate(PASSWORD))
        .await;

    assert!(
        matches!(result, Err(LoginError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_when_the_hasher_fails_is_unexpected_not_invalid_credentials() {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Err(HashError(anyhow::anyhow!("thread pool gone"))));

    let result = service(
        finding("user1", Some(user(1, false, true))),
        hasher,
        no_issue(),
    )
    .login("user1", &Password::candidate(PASSWORD))
    .await;

    assert!(
        matches!(result, Err(LoginError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_when_signing_fails_is_unexpected() {
    let mut tokens = MockTokenService::new();
    tokens
        .expect_issue()
        .times(1)
        .returning(|_| Err(TokenError::Unexpected(anyhow::anyhow!("no key"))));

    let result = service(
        finding("user1", Some(user(1, false, true))),
        verifying(PASSWORD, true),
        tokens,
    )
    .login("user1", &Password::candidate(PASSWORD))
    .await;

    assert!(
        matches!(result, Err(LoginError::Unexpected(_))),
        "{result:?}"
    );
}

// --- authenticate -----------------------------------------------------------

/// A token service that verifies `token` once with `outcome`.
fn verifying_token(
    token: &'static str,
    outcome: fn() -> Result<UserId, TokenError>,
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

/// A repository that looks up `id` once and answers `found`.
fn finding_id(id: i64, found: Option<crate::user::User>) -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .with(eq(UserId(id)))
        .times(1)
        .returning(move |_| Ok(found.clone()));
    users
}

#[tokio::test]
async fn authenticate_with_an_invalid_token_is_invalid_token_without_a_lookup() {
    let mut users = MockUserRepository::new();
    users.expect_find_by_id().never();
    let tokens = verifying_token("garbage", || Err(TokenError::Invalid));

    let result = service(users, idle_hasher(), tokens)
        .authenticate("garbage")
        .await;

    assert!(
        matches!(result, Err(AuthenticateError::InvalidToken)),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_a_valid_token_of_a_missing_user_is_invalid_token() {
    let result = service(
        finding_id(3, None),
        idle_hasher(),
        verifying_token("tok", || Ok(UserId(3))),
    )
    .authenticate("tok")
    .await;

    assert!(
        matches!(result, Err(AuthenticateError::InvalidToken)),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_a_valid_token_of_an_inactive_user_is_invalid_token() {
    let result = service(
        finding_id(3, Some(user(3, false, false))),
        idle_hasher(),
        verifying_token("tok", || Ok(UserId(3))),
    )
    .authenticate("tok")
    .await;

    assert!(
        matches!(result, Err(AuthenticateError::InvalidToken)),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_a_valid_token_of_an_active_user_returns_that_user() {
    let user = service(
        finding_id(3, Some(user(3, false, true))),
        idle_hasher(),
        verifying_token("tok", || Ok(UserId(3))),
    )
    .authenticate("tok")
    .await
    .unwrap();

    assert_eq!(user, super::user(3, false, true));
}

#[tokio::test]
async fn authenticate_when_the_token_service_fails_is_unexpected_not_invalid_token() {
    let mut users = MockUserRepository::new();
    users.expect_find_by_id().never();
    let tokens = verifying_token("tok", || {
        Err(TokenError::Unexpected(anyhow::anyhow!("key store down")))
    });

    let result = service(users, idle_hasher(), tokens)
        .authenticate("tok")
        .await;

    assert!(
        matches!(result, Err(AuthenticateError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn authenticate_when_the_store_is_unavailable_is_unavailable_not_invalid_token() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_by_id()
        .times(1)
        .returning(|_| Err(unavailable()));

    let result = service(
        users,
        idle_hasher(),
        verifying_token("tok", || Ok(UserId(3))),
    )
    .authenticate("tok")
    .await;

    assert!(
        matches!(result, Err(AuthenticateError::Unavailable(_))),
        "{result:?}"
    );
}
