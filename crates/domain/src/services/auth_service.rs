//! Registration, login, refresh-token rotation and authentication of a
//! request's access token.
//!
//! A login opens a session (a family of refresh tokens). Each refresh spends
//! the presented token and answers a successor pair; presenting a spent token
//! again within the grace window answers the very same pair (a client retry),
//! after it revokes the whole session (a stolen token being replayed). Every
//! access token names its session, and authentication checks in the shared
//! store that the session is still live and the user still active.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::credential::Credential;
use crate::error::{ConflictField, RepositoryError};
use crate::password::Password;
use crate::ports::{
    AccessClaims, Clock, HashError, IssuedToken, LoginAttempts, PasswordHasher, RefreshTokens,
    SessionRepository, ThrottleKey, TokenError, TokenService, UserRepository, VerifiedAccess,
};
use crate::services::recovery_service::AccountMailPorts;
use crate::services::throttle::{RetryAfter, ThrottlePolicy, blocked};
use crate::session::{ClientInfo, NewSession, RefreshToken, Session, SessionId};
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

/// Session lifetimes and throttling limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthPolicy {
    /// How long a session (and so its refresh tokens) lives from login.
    pub refresh_lifetime: Duration,
    /// How long a spent refresh token may be replayed for the same answer.
    pub reuse_grace: Duration,
    pub throttle: ThrottlePolicy,
    /// Refuse a login (with the right password) until the user has
    /// verified their address (`REQUIRE_VERIFIED_EMAIL`).
    pub require_verified_email: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            refresh_lifetime: Duration::from_secs(30 * 24 * 3600),
            reuse_grace: Duration::from_secs(10),
            throttle: ThrottlePolicy::default(),
            require_verified_email: false,
        }
    }
}

/// What a login or a refresh answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access: IssuedToken,
    pub refresh_token: RefreshToken,
    /// Seconds until the session (and this refresh token) expires.
    pub refresh_expires_in: u64,
    pub session: SessionId,
}

/// An authenticated request: the user, and the credential its bearer
/// token stands for (the session an access token names, or a personal
/// access token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub user: User,
    pub credential: Credential,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{} is already registered", .0.as_str())]
    Conflict(ConflictField),
    #[error("too many registrations from this address")]
    Throttled(RetryAfter),
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
    /// The right password, but the address is not verified and the policy
    /// requires it.
    #[error("email address not verified")]
    EmailNotVerified,
    /// Too many recent failures for this account or this client address;
    /// answered even when the password is right.
    #[error("too many failed logins")]
    Throttled(RetryAfter),
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Unknown, expired or revoked token, or an inactive user.
    #[error("invalid refresh token")]
    Invalid,
    /// A spent token presented after the grace window: it was probably
    /// stolen, so the whole session has been revoked.
    #[error("refresh token reused after rotation; session revoked")]
    Reused(SessionId),
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// Bad token, or its session ended, or its user no longer exists or is inactive.
    #[error("could not validate credentials")]
    InvalidToken,
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

macro_rules! from_ports {
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

from_ports!(LoginError);
from_ports!(RefreshError);
from_ports!(AuthenticateError);

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

/// The ports the authentication use cases need.
#[derive(Clone)]
pub struct AuthPorts {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenService>,
    pub refresh_tokens: Arc<dyn RefreshTokens>,
    pub attempts: Arc<dyn LoginAttempts>,
    /// Mails a new user's verification link.
    pub mail: AccountMailPorts,
    /// The time every rule here reads (expiry, grace window, throttling).
    pub clock: Arc<dyn Clock>,
}

/// Registration, login, refresh and token authentication.
#[derive(Clone)]
pub struct AuthService {
    ports: AuthPorts,
    policy: AuthPolicy,
}

impl AuthService {
    pub fn new(ports: AuthPorts, policy: AuthPolicy) -> Self {
        Self { ports, policy }
    }

    /// Creates an active, non-admin user, within the per-address
    /// registration limit.
    ///
    /// # Errors
    /// [`RegisterError::Conflict`] when the email or username is taken
    /// (case-insensitively); [`RegisterError::Throttled`] over the limit.
    pub async fn register(
        &self,
        registration: Registration,
        client: &ClientInfo,
    ) -> Result<User, RegisterError> {
        if let Some(ip) = &client.ip {
            let now = self.ports.clock.now();
            let key = ThrottleKey::RegisterIp(ip.clone());
            let throttle = &self.policy.throttle;
            let attempts = self.ports.attempts.as_ref();
            if let Some(wait) = blocked(
                attempts,
                &key,
                throttle.max_registrations_per_ip,
                throttle.registration_window,
                now,
            )
            .await?
            {
                return Err(RegisterError::Throttled(wait));
            }
            if throttle.max_registrations_per_ip > 0 {
                attempts.record(&[key], now).await?;
            }
        }
        let user = insert_user(
            self.ports.users.as_ref(),
            self.ports.hasher.as_ref(),
            self.ports.clock.as_ref(),
            registration,
            false,
        )
        .await?;
        // A separate step: a crash in between leaves an unverified user
        // without a link, who asks for one (`verify-email/send`).
        self.ports
            .mail
            .send_verification(&user, self.ports.clock.now())
            .await?;
        Ok(user)
    }

    /// Checks the credentials and opens a session. `login` is a username or
    /// an email, matched case-insensitively; the password exactly.
    ///
    /// # Errors
    /// [`LoginError::Throttled`] when the account (whichever of its names is
    /// used) or the client address has too many recent failures (checked
    /// before the password);
    /// [`LoginError::InvalidCredentials`] for an unknown user or a wrong
    /// password (the same time is spent on both); [`LoginError::Inactive`]
    /// for a deactivated account with the right password.
    pub async fn login(
        &self,
        login: &str,
        password: &Password,
        client: &ClientInfo,
    ) -> Result<TokenPair, LoginError> {
        let now = self.ports.clock.now();
        let throttle = &self.policy.throttle;
        let attempts = self.ports.attempts.as_ref();
        let ip = client.ip.clone().map(ThrottleKey::LoginIp);
        let plausible = is_plausible_login(login);

        if let Some(ip) = &ip
            && let Some(wait) = blocked(
                attempts,
                ip,
                throttle.max_failures_per_ip,
                throttle.failure_window,
                now,
            )
            .await?
        {
            return Err(LoginError::Throttled(wait));
        }

        let user = if plausible {
            self.ports.users.find_by_login(login).await?
        } else {
            None
        };
        // One counter per account, whichever name (username or email) the
        // client logs in with: a known user's username. An unknown name keys
        // itself; usernames cannot contain '@', so it never meets a real one.
        let account = ThrottleKey::Account(user.as_ref().map_or_else(
            || login.to_lowercase(),
            |u| u.username.as_str().to_lowercase(),
        ));
        if plausible
            && let Some(wait) = blocked(
                attempts,
                &account,
                throttle.max_failures_per_account,
                throttle.failure_window,
                now,
            )
            .await?
        {
            return Err(LoginError::Throttled(wait));
        }
        let verified = match &user {
            Some(user) => {
                self.ports
                    .hasher
                    .verify(password, &user.password_hash)
                    .await?
            }
            None => {
                self.ports.hasher.verify_dummy(password).await?;
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            let keys: Vec<ThrottleKey> =
                plausible.then_some(account).into_iter().chain(ip).collect();
            attempts.record(&keys, now).await?;
            return Err(LoginError::InvalidCredentials);
        };
        if !user.is_active {
            return Err(LoginError::Inactive);
        }
        attempts.clear(&account).await?;
        if self.policy.require_verified_email && !user.email_verified {
            return Err(LoginError::EmailNotVerified);
        }

        let refresh_token = self.ports.refresh_tokens.generate();
        let expires_at = time::add_saturating(now, self.policy.refresh_lifetime);
        let session = self
            .ports
            .sessions
            .create(NewSession {
                user_id: user.id,
                first_token: self.ports.refresh_tokens.hash(&refresh_token),
                created_at: now,
                expires_at,
                client: client.clone(),
            })
            .await?;
        Ok(self.pair(&session, refresh_token, now, now)?)
    }

    /// Spends a refresh token and answers its successor pair.
    ///
    /// # Errors
    /// [`RefreshError::Invalid`] for an unknown, expired or revoked token or
    /// an inactive user; [`RefreshError::Reused`] for a replay after the
    /// grace window, which revokes the whole session first.
    pub async fn refresh(&self, presented: &RefreshToken) -> Result<TokenPair, RefreshError> {
        let now = self.ports.clock.now();
        let sessions = self.ports.sessions.as_ref();
        let hash = self.ports.refresh_tokens.hash(presented);
        let Some(mut stored) = sessions.find_refresh_token(&hash).await? else {
            return Err(RefreshError::Invalid);
        };
        let session = stored.session.clone();
        if !session.is_active(now)
            || sessions
                .find_authenticated(session.user_id, session.id, now)
                .await?
                .is_none()
        {
            return Err(RefreshError::Invalid);
        }
        let successor = self.ports.refresh_tokens.successor(presented);
        if stored.spent_at.is_none() {
            let successor_hash = self.ports.refresh_tokens.hash(&successor);
            if sessions
                .rotate(session.id, &hash, &successor_hash, now)
                .await?
            {
                return Ok(self.pair(&session, successor, now, now)?);
            }
            // A concurrent refresh spent it first: answer as a replay.
            stored = sessions
                .find_refresh_token(&hash)
                .await?
                .ok_or(RefreshError::Invalid)?;
        }
        let spent_at = stored.spent_at.unwrap_or(now);
        if now <= time::add_saturating(spent_at, self.policy.reuse_grace) {
            // The same successor, issued at the same instant: the same pair.
            return Ok(self.pair(&session, successor, spent_at, now)?);
        }
        sessions.revoke(session.user_id, session.id, now).await?;
        Err(RefreshError::Reused(session.id))
    }

    /// The active user and live session of claims verified by
    /// [`AuthService::verify_token`], in one query.
    ///
    /// # Errors
    /// [`AuthenticateError::InvalidToken`] when the session ended or expired,
    /// or its user was deleted or deactivated.
    pub async fn authenticate_verified(
        &self,
        access: VerifiedAccess,
    ) -> Result<Authenticated, AuthenticateError> {
        let user = self
            .ports
            .sessions
            .find_authenticated(access.user, access.session, self.ports.clock.now())
            .await?
            .ok_or(AuthenticateError::InvalidToken)?;
        Ok(Authenticated {
            user,
            credential: Credential::Session(access.session),
        })
    }

    /// Who a bearer token names, from its signature and claims alone: the
    /// session and user are NOT checked here. Only for a use case that
    /// proves them itself, in the statement that does its work (the todo
    /// use cases and [`crate::credential::LiveCredential`]).
    ///
    /// # Errors
    /// [`AuthenticateError::InvalidToken`] when the token does not verify.
    pub fn verify_token(&self, token: &str) -> Result<VerifiedAccess, AuthenticateError> {
        match self.ports.tokens.verify(token) {
            Ok(access) => Ok(access),
            Err(TokenError::Invalid) => Err(AuthenticateError::InvalidToken),
            Err(e) => Err(e.into()),
        }
    }

    /// Issues the access token paired with `refresh_token` at `issued_at`.
    fn pair(
        &self,
        session: &Session,
        refresh_token: RefreshToken,
        issued_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, TokenError> {
        let access = self.ports.tokens.issue(&AccessClaims {
            user: session.user_id,
            session: session.id,
            issued_at,
            token_id: self.ports.refresh_tokens.token_id(&refresh_token),
        })?;
        // Whole seconds, rounded up: a session opened a moment ago for 30
        // days has 2,592,000 s left, not 2,591,999.
        let remaining_ms = (session.expires_at - now).num_milliseconds();
        let remaining = u64::try_from(remaining_ms).unwrap_or(0).div_ceil(1000);
        Ok(TokenPair {
            access,
            refresh_token,
            refresh_expires_in: remaining,
            session: session.id,
        })
    }
}

/// Hashes the password and inserts an active user with the given role; the
/// caller has checked that the actor may create it.
pub(crate) async fn insert_user(
    users: &dyn UserRepository,
    hasher: &dyn PasswordHasher,
    clock: &dyn Clock,
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
            created_at: clock.now(),
        })
        .await?;
    Ok(user)
}

/// A login name that could belong to a user: short enough and storable
/// (PostgreSQL refuses NUL in text, which would otherwise be a 500).
fn is_plausible_login(login: &str) -> bool {
    !login.is_empty() && !login.contains('\0') && login.chars().count() <= MAX_LOGIN_CHARS
}
