//! Registration, login and authentication of a request's token.

use std::sync::Arc;

use crate::error::{ConflictField, RepositoryError};
use crate::password::Password;
use crate::ports::{
    HashError, IssuedToken, PasswordHasher, TokenError, TokenService, UserRepository,
};
use crate::time;
use crate::user::{Email, FullName, NewUser, User, Username};

/// The longest login name looked up; anything longer cannot be a username or
/// an email and is refused without a query.
const MAX_LOGIN_CHARS: usize = 320;

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub username: Username,
    pub full_name: FullName,
    pub password: Password,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{} is already registered", .0.as_str())]
    Conflict(ConflictField),
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user or wrong password: deliberately the same.
    #[error("incorrect username or password")]
    InvalidCredentials,
    #[error("user account is inactive")]
    Inactive,
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// Bad token, or its user no longer exists or is inactive.
    #[error("could not validate credentials")]
    InvalidToken,
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

macro_rules! from_infrastructure {
    ($error:ident) => {
        impl From<RepositoryError> for $error {
            fn from(error: RepositoryError) -> Self {
                match error {
                    RepositoryError::Unavailable(e) => Self::Unavailable(e),
                    other => Self::Unexpected(other.into()),
                }
            }
        }

        impl From<HashError> for $error {
            fn from(error: HashError) -> Self {
                Self::Unexpected(error.into())
            }
        }

        impl From<TokenError> for $error {
            fn from(error: TokenError) -> Self {
                Self::Unexpected(error.into())
            }
        }
    };
}
from_infrastructure!(LoginError);
from_infrastructure!(AuthenticateError);

impl From<RepositoryError> for RegisterError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Conflict(field) => Self::Conflict(field),
            RepositoryError::Unavailable(e) => Self::Unavailable(e),
            RepositoryError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<HashError> for RegisterError {
    fn from(error: HashError) -> Self {
        Self::Unexpected(error.into())
    }
}

/// Registration, login and token authentication.
#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenService>,
}

impl AuthService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenService>,
    ) -> Self {
        Self {
            users,
            hasher,
            tokens,
        }
    }

    /// Creates an active, non-admin user.
    ///
    /// # Errors
    /// [`RegisterError::Conflict`] when the email or username is taken
    /// (case-insensitively).
    pub async fn register(&self, registration: Registration) -> Result<User, RegisterError> {
        insert_user(
            self.users.as_ref(),
            self.hasher.as_ref(),
            registration,
            false,
        )
        .await
    }

    /// Checks the credentials and issues an access token. `login` is a
    /// username or an email, matched case-insensitively; the password exactly.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for an unknown user or a wrong
    /// password (the same time is spent on both), [`LoginError::Inactive`]
    /// for a deactivated account with the right password.
    pub async fn login(&self, login: &str, password: &Password) -> Result<IssuedToken, LoginError> {
        let user = if is_plausible_login(login) {
            self.users.find_by_login(login).await?
        } else {
            None
        };
        let Some(user) = user else {
            self.hasher.verify_dummy(password).await?;
            return Err(LoginError::InvalidCredentials);
        };
        if !self.hasher.verify(password, &user.password_hash).await? {
            return Err(LoginError::InvalidCredentials);
        }
        if !user.is_active {
            return Err(LoginError::Inactive);
        }
        Ok(self.tokens.issue(user.id)?)
    }

    /// The active user a bearer token belongs to.
    ///
    /// # Errors
    /// [`AuthenticateError::InvalidToken`] when the token does not verify, or
    /// its user was deleted or deactivated.
    pub async fn authenticate(&self, token: &str) -> Result<User, AuthenticateError> {
        let user_id = match self.tokens.verify(token) {
            Ok(id) => id,
            Err(TokenError::Invalid) => return Err(AuthenticateError::InvalidToken),
            Err(e) => return Err(e.into()),
        };
        match self.users.find_by_id(user_id).await? {
            Some(user) if user.is_active => Ok(user),
            _ => Err(AuthenticateError::InvalidToken),
        }
    }
}

/// Hashes the password and inserts an active user with the given role; the
/// caller has checked that the actor may create it.
pub(crate) async fn insert_user(
    users: &dyn UserRepository,
    hasher: &dyn PasswordHasher,
    registration: Registration,
    is_admin: bool,
) -> Result<User, RegisterError> {
    let password_hash = hasher.hash(&registration.password).await?;
    let user = users
        .create(NewUser {
            email: registration.email,
            username: registration.username,
            full_name: registration.full_name,
            password_hash,
            is_active: true,
            is_admin,
            created_at: time::now(),
        })
        .await?;
    Ok(user)
}

/// A login name that could belong to a user: short enough and storable
/// (PostgreSQL refuses NUL in text, which would otherwise be a 500).
fn is_plausible_login(login: &str) -> bool {
    !login.is_empty() && !login.contains('\0') && login.chars().count() <= MAX_LOGIN_CHARS
}
