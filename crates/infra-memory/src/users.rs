//! [`UserRepository`] in memory: the `users` table with its two unique
//! indexes on the case-folded keys of email and username
//! ([`domain::fold_case`], as the SQL adapters' `email_key` and
//! `username_key`).

use std::ops::Bound;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::UserRepository;
use domain::time::truncate;
use domain::{
    ConflictField, NewUser, Page, PasswordHash, RepositoryError, User, UserChanges, UserId, Window,
    fold_case,
};

use crate::MemoryStore;
use crate::state::{State, bindable, fits, rows_to_read, take_id};

/// The widths of the `users` columns in PostgreSQL.
const EMAIL_CHARS: usize = 254;
const USERNAME_CHARS: usize = 100;
const FULL_NAME_CHARS: usize = 255;
const PASSWORD_HASH_CHARS: usize = 255;

pub(crate) struct MemoryUsers(pub(crate) MemoryStore);

/// The column checks PostgreSQL makes on a user row before any index.
fn check_columns(user: &User) -> Result<(), RepositoryError> {
    fits(user.email.as_str(), EMAIL_CHARS, "users.email")?;
    fits(user.username.as_str(), USERNAME_CHARS, "users.username")?;
    fits(user.full_name.as_str(), FULL_NAME_CHARS, "users.full_name")?;
    fits(
        user.password_hash.as_str(),
        PASSWORD_HASH_CHARS,
        "users.hashed_password",
    )
}

/// The unique indexes: the first that another row (not `row.id`) collides
/// with, email before username (the port's rule for a row colliding on
/// both).
fn conflict(state: &State, row: &User) -> Option<ConflictField> {
    let email = fold_case(row.email.as_str());
    let username = fold_case(row.username.as_str());
    let others = || state.users.values().filter(|other| other.id != row.id);
    if others().any(|other| fold_case(other.email.as_str()) == email) {
        Some(ConflictField::Email)
    } else if others().any(|other| fold_case(other.username.as_str()) == username) {
        Some(ConflictField::Username)
    } else {
        None
    }
}

/// A row as it would be written: checked columns, then unique indexes.
fn check_row(state: &State, row: &User) -> Result<(), RepositoryError> {
    check_columns(row)?;
    match conflict(state, row) {
        Some(field) => Err(RepositoryError::Conflict(field)),
        None => Ok(()),
    }
}

#[async_trait]
impl UserRepository for MemoryUsers {
    async fn create(&self, new: NewUser) -> Result<User, RepositoryError> {
        self.0.with_state(|state| {
            let created_at = truncate(new.created_at);
            let mut row = User {
                // Not yet taken: no other row has it, so the checks see
                // only the others.
                id: UserId(state.next_user),
                email: new.email,
                username: new.username,
                full_name: new.full_name,
                password_hash: new.password_hash,
                is_active: new.is_active,
                is_admin: new.is_admin,
                email_verified: false,
                created_at,
                updated_at: created_at,
            };
            check_row(state, &row)?;
            row.id = UserId(take_id(&mut state.next_user, "users")?);
            state.users.insert(row.id.0, row.clone());
            Ok(row)
        })
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        self.0
            .with_state(|state| Ok(state.users.get(&id.0).cloned()))
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<User>, RepositoryError> {
        self.0.with_state(|state| {
            bindable(login, "the login name")?;
            let login = fold_case(login);
            // Lowest id first, as the SQL's ORDER BY id (at most one can
            // match: a username has no '@', an email has one).
            Ok(state
                .users
                .values()
                .find(|user| {
                    fold_case(user.username.as_str()) == login
                        || fold_case(user.email.as_str()) == login
                })
                .cloned())
        })
    }

    async fn list(&self, window: Window<UserId>) -> Result<Page<User>, RepositoryError> {
        self.0.with_state(|state| {
            let (offset, read) = rows_to_read(window.page);
            let rows = match window.after {
                Some(after) => state
                    .users
                    .range((Bound::Excluded(after.0), Bound::Unbounded))
                    .map(|(_, user)| user)
                    .take(read)
                    .cloned()
                    .collect(),
                None => state
                    .users
                    .values()
                    .skip(offset)
                    .take(read)
                    .cloned()
                    .collect(),
            };
            let total = u64::try_from(state.users.len()).unwrap_or(u64::MAX);
            Ok(Page::from_rows(rows, total, window.page))
        })
    }

    async fn update(
        &self,
        id: UserId,
        changes: UserChanges,
    ) -> Result<Option<User>, RepositoryError> {
        self.0.with_state(|state| {
            let patch = changes.patch;
            // Parameters are bound before any row is looked at.
            for text in [
                patch.email.as_ref().map(|e| e.as_str()),
                patch.username.as_ref().map(|u| u.as_str()),
                patch.full_name.as_ref().map(|n| n.as_str()),
            ]
            .into_iter()
            .flatten()
            {
                bindable(text, "a user field")?;
            }
            let Some(stored) = state.users.get(&id.0) else {
                return Ok(None);
            };
            let mut row = stored.clone();
            if let Some(email) = patch.email {
                row.email = email;
            }
            if let Some(username) = patch.username {
                row.username = username;
            }
            if let Some(full_name) = patch.full_name {
                row.full_name = full_name;
            }
            if let Some(is_active) = patch.is_active {
                row.is_active = is_active;
            }
            if let Some(is_admin) = patch.is_admin {
                row.is_admin = is_admin;
            }
            if changes.unverifies_email {
                row.email_verified = false;
            }
            row.updated_at = truncate(changes.updated_at);
            check_row(state, &row)?;
            state.users.insert(id.0, row.clone());
            Ok(Some(row))
        })
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.0.with_state(|state| {
            bindable(password_hash.as_str(), "users.hashed_password")?;
            let Some(user) = state.users.get_mut(&id.0) else {
                return Ok(false);
            };
            fits(
                password_hash.as_str(),
                PASSWORD_HASH_CHARS,
                "users.hashed_password",
            )?;
            user.password_hash = password_hash;
            user.updated_at = truncate(updated_at);
            Ok(true)
        })
    }

    async fn delete(&self, id: UserId) -> Result<bool, RepositoryError> {
        self.0.with_state(|state| {
            if state.users.remove(&id.0).is_none() {
                return Ok(false);
            }
            // ON DELETE CASCADE: todos, account and personal tokens, the TOTP
            // factor and recovery codes, sessions, and the sessions' refresh
            // tokens.
            state.todos.retain(|_, todo| todo.user_id != id);
            state.account_tokens.retain(|_, token| token.user_id != id);
            state
                .personal_tokens
                .retain(|_, row| row.token.user_id != id);
            state.totp_factors.remove(&id.0);
            state.recovery_codes.retain(|_, code| code.user_id != id);
            state.sessions.retain(|_, session| session.user_id != id);
            let sessions = &state.sessions;
            state
                .tokens
                .retain(|_, token| sessions.contains_key(&token.session_id));
            Ok(true)
        })
    }
}
