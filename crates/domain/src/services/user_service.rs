//! The users API: administration and self-service of accounts.

use std::sync::Arc;

use crate::error::{ConflictField, RepositoryError};
use crate::pagination::{CursorError, CursorList, ListRequest, Listed};
use crate::ports::{
    Clock, CursorSeal, HashError, PasswordHasher, SessionRepository, UserRepository,
};
use crate::services::actor::Actor;
use crate::services::auth_service::{RegisterError, Registration, insert_user};
use crate::services::recovery_service::AccountMailPorts;
use crate::time;
use crate::user::{User, UserChanges, UserId, UserPatch, fold_case};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user not found")]
    NotFound,
    #[error("not enough permissions")]
    Forbidden,
    #[error("{} is already registered", .0.as_str())]
    Conflict(ConflictField),
    /// The `cursor` of a list request was refused.
    #[error("cursor {0}")]
    InvalidCursor(#[from] CursorError),
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for UserError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Conflict(field) => Self::Conflict(field),
            RepositoryError::Unavailable(e) => Self::Unavailable(e),
            RepositoryError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<RegisterError> for UserError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::Conflict(field) => Self::Conflict(field),
            RegisterError::Unavailable(e) => Self::Unavailable(e),
            RegisterError::Unexpected(e) => Self::Unexpected(e),
            // Only self-registration is rate-limited; admins are not.
            RegisterError::Throttled(_) => {
                Self::Unexpected(anyhow::anyhow!("admin user creation was throttled"))
            }
        }
    }
}

/// `create-admin` failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    /// The username belongs to one user and the email to another.
    #[error("the username and the email belong to two different users")]
    Ambiguous,
    #[error(transparent)]
    User(#[from] UserError),
}

impl From<RepositoryError> for CreateAdminError {
    fn from(error: RepositoryError) -> Self {
        Self::User(error.into())
    }
}

impl From<HashError> for CreateAdminError {
    fn from(error: HashError) -> Self {
        Self::User(UserError::Unexpected(error.into()))
    }
}

/// Account administration with the users API's access rules: admins manage
/// everyone; a user may read, change and delete only themselves, and never
/// their own role or active flag.
#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    sessions: Arc<dyn SessionRepository>,
    cursors: Arc<dyn CursorSeal>,
    mail: AccountMailPorts,
    clock: Arc<dyn Clock>,
}

impl UserService {
    /// `mail` sends the verification link of a new user and of a changed
    /// address, and the notice of a change to the old address.
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        sessions: Arc<dyn SessionRepository>,
        cursors: Arc<dyn CursorSeal>,
        mail: AccountMailPorts,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            hasher,
            sessions,
            cursors,
            mail,
            clock,
        }
    }

    /// # Errors
    /// [`UserError::Forbidden`] for a non-admin, [`UserError::Conflict`] on a
    /// taken email or username.
    pub async fn create(
        &self,
        actor: Actor,
        registration: Registration,
        is_admin: bool,
    ) -> Result<User, UserError> {
        if !actor.is_admin {
            return Err(UserError::Forbidden);
        }
        let user = insert_user(
            self.users.as_ref(),
            self.hasher.as_ref(),
            self.clock.as_ref(),
            registration,
            is_admin,
        )
        .await?;
        self.mail.send_verification(&user, self.clock.now()).await?;
        Ok(user)
    }

    /// One page of every user, by id, by number or after a cursor, with
    /// the cursor of the next page.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] for a non-admin (before the cursor is
    /// looked at); [`UserError::InvalidCursor`] for a cursor that is not one
    /// we sealed or not one of this admin's user lists with this page size.
    pub async fn list(
        &self,
        actor: Actor,
        request: ListRequest,
    ) -> Result<Listed<User>, UserError> {
        if !actor.is_admin {
            return Err(UserError::Forbidden);
        }
        let window = request.window(&*self.cursors, actor.id, |list| match list {
            CursorList::Users { after } => Some(after),
            CursorList::Todos { .. } => None,
        })?;
        let page = self.users.list(window).await?;
        Ok(
            page.with_next_cursor(&*self.cursors, actor.id, |last| CursorList::Users {
                after: last.id,
            }),
        )
    }

    /// # Errors
    /// [`UserError::Forbidden`] when a non-admin asks for anyone else (whether
    /// or not that user exists), [`UserError::NotFound`] otherwise when missing.
    pub async fn get(&self, actor: Actor, id: UserId) -> Result<User, UserError> {
        if !actor.may_manage(id) {
            return Err(UserError::Forbidden);
        }
        self.users.find_by_id(id).await?.ok_or(UserError::NotFound)
    }

    /// Deactivating a user ends all of their sessions.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] when a non-admin targets someone else or
    /// touches `is_active`/`is_admin`; [`UserError::NotFound`];
    /// [`UserError::Conflict`] on a taken email or username.
    pub async fn update(
        &self,
        actor: Actor,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User, UserError> {
        if !actor.may_manage(id) || (patch.touches_admin_fields() && !actor.is_admin) {
            return Err(UserError::Forbidden);
        }
        let current = self
            .users
            .find_by_id(id)
            .await?
            .ok_or(UserError::NotFound)?;
        let deactivates = patch.is_active == Some(false);
        let unverifies_email = patch
            .email
            .as_ref()
            .is_some_and(|email| fold_case(email.as_str()) != fold_case(current.email.as_str()));
        let now = self.clock.now();
        let updated_at = time::after(now, current.updated_at);
        let changes = UserChanges {
            patch,
            updated_at,
            unverifies_email,
        };
        let user = self
            .users
            .update(id, changes)
            .await?
            .ok_or(UserError::NotFound)?;
        if deactivates {
            // Inactive users fail authentication anyway; ending the sessions
            // also kills their refresh tokens.
            self.sessions.revoke_all(id, None, updated_at).await?;
        }
        if unverifies_email {
            // A link to prove the new address, and word to the old one.
            self.mail.email_changed(&current, &user, now).await?;
        }
        Ok(user)
    }

    /// Deletes the user and their todos.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] when a non-admin targets someone else,
    /// [`UserError::NotFound`] when missing.
    pub async fn delete(&self, actor: Actor, id: UserId) -> Result<(), UserError> {
        if !actor.may_manage(id) {
            return Err(UserError::Forbidden);
        }
        if self.users.delete(id).await? {
            Ok(())
        } else {
            Err(UserError::NotFound)
        }
    }

    /// Makes an administrator from the command line: promotes (and
    /// reactivates) the user with this username or email, keeping their
    /// password, or creates one with the registration's password.
    /// Returns the user and whether it was created.
    ///
    /// # Errors
    /// [`CreateAdminError::Ambiguous`] when the username and the email name
    /// two different users.
    pub async fn create_admin(
        &self,
        registration: Registration,
    ) -> Result<(User, bool), CreateAdminError> {
        let by_username = self
            .users
            .find_by_login(registration.username.as_str())
            .await?;
        let by_email = self
            .users
            .find_by_login(registration.email.as_str())
            .await?;
        let existing = match (by_username, by_email) {
            (Some(a), Some(b)) if a.id != b.id => return Err(CreateAdminError::Ambiguous),
            (Some(user), _) | (None, Some(user)) => Some(user),
            (None, None) => None,
        };
        if let Some(user) = existing {
            let changes = UserChanges {
                patch: UserPatch {
                    is_admin: Some(true),
                    is_active: Some(true),
                    ..UserPatch::default()
                },
                updated_at: time::after(self.clock.now(), user.updated_at),
                unverifies_email: false,
            };
            let user = self
                .users
                .update(user.id, changes)
                .await?
                .ok_or(UserError::NotFound)?;
            return Ok((user, false));
        }
        let user = insert_user(
            self.users.as_ref(),
            self.hasher.as_ref(),
            self.clock.as_ref(),
            registration,
            true,
        )
        .await
        .map_err(UserError::from)?;
        Ok((user, true))
    }
}
