//! Persistence of users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::RepositoryError;
use crate::pagination::{Page, Window};
use crate::password::PasswordHash;
use crate::user::{NewUser, User, UserChanges, UserId};

/// Stores users.
///
/// Email and username are unique case-insensitively, and the store enforces
/// it: `create` and `update` MUST return
/// [`RepositoryError::Conflict`] naming the field when a write collides,
/// including when two writes race (no check-then-insert).
///
/// "Case-insensitively" means by the keys of
/// [`fold_case`](crate::user::fold_case), and nothing else: two emails
/// collide exactly when their `fold_case` keys are equal
/// (`Émile@example.org` and `émile@example.org` do, on every backend),
/// likewise two usernames, and [`UserRepository::find_by_login`] compares
/// `fold_case(login)` with the keys of both. An adapter MUST NOT use its
/// store's own case folding (SQL `lower()` folds ASCII only on SQLite and
/// in a `C`-locale PostgreSQL database).
///
/// A write that collides on **both** email and username (with one other
/// row or with two) is a conflict on
/// [`ConflictField::Email`](crate::ConflictField::Email), on every backend,
/// whichever unique index the store happens to check first.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a user and returns it with its id.
    async fn create(&self, user: NewUser) -> Result<User, RepositoryError>;

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepositoryError>;

    /// The user whose username or email equals `login`, case-insensitively:
    /// whose email's or username's [`fold_case`](crate::user::fold_case)
    /// key is `fold_case(login)`.
    async fn find_by_login(&self, login: &str) -> Result<Option<User>, RepositoryError>;

    /// One page of users in ascending id order, with the total of every
    /// user: `window.page.page_size()` users after skipping
    /// `window.page.offset()`, or, when `window.after` is `Some(id)`, the
    /// first ones whose id is greater than `id` (whether or not that user
    /// still exists), in time that does not grow with how many come before.
    /// [`Page::has_more`] says whether any user follows the page; `request`
    /// is `window.page`. `total` MUST be exact and SHOULD cost O(1).
    async fn list(&self, window: Window<UserId>) -> Result<Page<User>, RepositoryError>;

    /// Applies the changes; `Ok(None)` when no such user exists.
    async fn update(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<User>, RepositoryError>;

    /// Replaces the password hash and moves `updated_at`. `Ok(false)` when no
    /// such user exists.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Deletes the user and, with it, their todos and sessions. `Ok(false)` when no such user.
    async fn delete(&self, id: UserId) -> Result<bool, RepositoryError>;
}
