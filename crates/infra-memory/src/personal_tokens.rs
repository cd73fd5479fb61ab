//! [`PersonalTokenRepository`] in memory: tokens by id, found by the hash
//! of their secret (unique, as the table's constraint makes it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::PersonalTokenRepository;
use domain::time::truncate;
use domain::{
    NewPersonalToken, PersonalToken, PersonalTokenHash, PersonalTokenId, RepositoryError, User,
    UserId,
};

use crate::MemoryStore;
use crate::state::{PersonalTokenRow, State, bindable, take_id, unexpected};

pub(crate) struct MemoryPersonalTokens(pub(crate) MemoryStore);

impl State {
    /// The rule of [`PersonalTokenRepository::holds`]: the token is `user`'s
    /// and live at `at`, and the user exists and is active.
    pub(crate) fn personal_token_holds(
        &self,
        user: UserId,
        token: PersonalTokenId,
        at: DateTime<Utc>,
    ) -> bool {
        self.personal_tokens.get(&token.0).is_some_and(|row| {
            row.token.user_id == user
                && row.token.is_live(at)
                && self.users.get(&user.0).is_some_and(|u| u.is_active)
        })
    }
}

#[async_trait]
impl PersonalTokenRepository for MemoryPersonalTokens {
    async fn create(&self, new: NewPersonalToken) -> Result<PersonalToken, RepositoryError> {
        self.0.with_state(|state| {
            if !state.users.contains_key(&new.user_id.0) {
                return Err(unexpected(
                    "personal_access_tokens: the user does not exist \
                     (foreign key personal_access_tokens.user_id)",
                ));
            }
            bindable(new.name.as_str(), "personal_access_tokens.name")?;
            bindable(new.hash.as_str(), "personal_access_tokens.token_hash")?;
            if state
                .personal_tokens
                .values()
                .any(|row| row.hash == new.hash.as_str())
            {
                return Err(unexpected(
                    "personal_access_tokens: duplicate key value violates \
                     personal_access_tokens_token_hash_key",
                ));
            }
            let token = PersonalToken {
                id: PersonalTokenId(take_id(
                    &mut state.next_personal_token,
                    "personal_access_tokens",
                )?),
                user_id: new.user_id,
                name: new.name,
                scopes: new.scopes,
                created_at: truncate(new.created_at),
                expires_at: new.expires_at.map(truncate),
                last_used_at: None,
                revoked_at: None,
            };
            state.personal_tokens.insert(
                token.id.0,
                PersonalTokenRow {
                    token: token.clone(),
                    hash: new.hash.as_str().to_owned(),
                },
            );
            Ok(token)
        })
    }

    async fn list(&self, user: UserId) -> Result<Vec<PersonalToken>, RepositoryError> {
        self.0.with_state(|state| {
            let mut tokens: Vec<PersonalToken> = state
                .personal_tokens
                .values()
                .filter(|row| row.token.user_id == user && row.token.revoked_at.is_none())
                .map(|row| row.token.clone())
                .collect();
            tokens.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
            Ok(tokens)
        })
    }

    async fn find_live(
        &self,
        hash: &PersonalTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<(PersonalToken, User)>, RepositoryError> {
        self.0.with_state(|state| {
            let found = state
                .personal_tokens
                .values()
                .find(|row| row.hash == hash.as_str())
                .filter(|row| state.personal_token_holds(row.token.user_id, row.token.id, now))
                .and_then(|row| {
                    let user = state.users.get(&row.token.user_id.0)?;
                    Some((row.token.clone(), user.clone()))
                });
            Ok(found)
        })
    }

    async fn holds(
        &self,
        user: UserId,
        token: PersonalTokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.0
            .with_state(|state| Ok(state.personal_token_holds(user, token, now)))
    }

    async fn touch(
        &self,
        token: PersonalTokenId,
        now: DateTime<Utc>,
        not_since: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.0.with_state(|state| {
            let Some(row) = state.personal_tokens.get_mut(&token.0) else {
                return Ok(false);
            };
            if row.token.last_used_at.is_some_and(|at| at >= not_since) {
                return Ok(false);
            }
            row.token.last_used_at = Some(truncate(now));
            Ok(true)
        })
    }

    async fn revoke(
        &self,
        user: UserId,
        token: PersonalTokenId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.0
            .with_state(|state| match state.personal_tokens.get_mut(&token.0) {
                Some(row) if row.token.user_id == user && row.token.revoked_at.is_none() => {
                    row.token.revoked_at = Some(truncate(now));
                    Ok(true)
                }
                _ => Ok(false),
            })
    }

    async fn revoke_all(&self, user: UserId, now: DateTime<Utc>) -> Result<u64, RepositoryError> {
        self.0.with_state(|state| {
            let mut revoked = 0;
            for row in state.personal_tokens.values_mut() {
                if row.token.user_id == user && row.token.revoked_at.is_none() {
                    row.token.revoked_at = Some(truncate(now));
                    revoked += 1;
                }
            }
            Ok(revoked)
        })
    }
}
