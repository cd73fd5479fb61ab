//! [`AccountTokenRepository`] in memory: the `account_tokens` table. Every
//! method checks and writes under the store's one lock, tokens, password,
//! sessions and mail together, so each is atomic, and of concurrent
//! redemptions of one token exactly one finds it live.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::AccountTokenRepository;
use domain::time::truncate;
use domain::{
    AccountTokenHash, AccountTokenId, AccountTokenKind, LiveAccountToken, MailMessage,
    NewAccountToken, PasswordHash, RepositoryError, User, UserId, fold_case,
};

use crate::MemoryStore;
use crate::state::{AccountTokenRow, State, bindable, fits, take_id, unexpected};

/// The width of `users.hashed_password` in PostgreSQL.
const PASSWORD_HASH_CHARS: usize = 255;

pub(crate) struct MemoryAccountTokens(pub(crate) MemoryStore);

#[async_trait]
impl AccountTokenRepository for MemoryAccountTokens {
    async fn issue(
        &self,
        token: NewAccountToken,
        mail: MailMessage,
    ) -> Result<(), RepositoryError> {
        let created_at = truncate(token.created_at);
        self.0.with_state(|state| {
            if !state.users.contains_key(&token.user_id.0) {
                return Err(unexpected(
                    "account_tokens: the user does not exist (foreign key account_tokens.user_id)",
                ));
            }
            bindable(token.hash.as_str(), "account_tokens.token_hash")?;
            bindable(token.email.as_str(), "account_tokens.email")?;
            if state
                .account_tokens
                .values()
                .any(|row| row.hash == token.hash.as_str())
            {
                return Err(unexpected(
                    "account_tokens: duplicate key value violates unique constraint \
                     \"account_tokens_token_hash_key\"",
                ));
            }
            State::check_mail(&mail)?;
            state.revoke_live_tokens(token.user_id, token.kind, None, created_at);
            let id = take_id(&mut state.next_account_token, "account_tokens")?;
            state.account_tokens.insert(
                id,
                AccountTokenRow {
                    user_id: token.user_id,
                    kind: token.kind,
                    hash: token.hash.as_str().to_owned(),
                    email: token.email,
                    expires_at: truncate(token.expires_at),
                    used_at: None,
                    revoked_at: None,
                },
            );
            state.queue(mail, created_at)?;
            Ok(())
        })
    }

    async fn find_live(
        &self,
        hash: &AccountTokenHash,
        kind: AccountTokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveAccountToken>, RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            bindable(hash.as_str(), "account_tokens.token_hash")?;
            Ok(state
                .account_tokens
                .iter()
                .find(|(_, row)| row.hash == hash.as_str())
                .filter(|(_, row)| row.kind == kind && row.is_live(now))
                .map(|(id, row)| LiveAccountToken {
                    id: AccountTokenId(*id),
                    user_id: row.user_id,
                    kind: row.kind,
                    email: row.email.clone(),
                    expires_at: row.expires_at,
                }))
        })
    }

    async fn redeem_password_reset(
        &self,
        token: AccountTokenId,
        password_hash: PasswordHash,
        updated_at: DateTime<Utc>,
        notice: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let now = truncate(now);
        let updated_at = truncate(updated_at);
        self.0.with_state(|state| {
            // The check: a live password-reset token. The loser of a race
            // finds it used, and nothing is written.
            let Some(user) = state
                .account_tokens
                .get(&token.0)
                .filter(|row| row.kind == AccountTokenKind::PasswordReset && row.is_live(now))
                .map(|row| row.user_id)
            else {
                return Ok(false);
            };
            // Everything the write needs is checked before its first change.
            fits(
                password_hash.as_str(),
                PASSWORD_HASH_CHARS,
                "users.hashed_password",
            )?;
            State::check_mail(&notice)?;
            if !state.users.contains_key(&user.0) {
                return Err(unexpected("account_tokens: a token outlived its user"));
            }
            if let Some(row) = state.account_tokens.get_mut(&token.0) {
                row.used_at = Some(now);
            }
            if let Some(row) = state.users.get_mut(&user.0) {
                row.password_hash = password_hash;
                row.updated_at = updated_at;
            }
            state.revoke_live_tokens(user, AccountTokenKind::PasswordReset, Some(token.0), now);
            for session in state.sessions.values_mut() {
                if session.user_id == user && session.is_active(now) {
                    session.revoked_at = Some(now);
                }
            }
            state.queue(notice, now)?;
            Ok(true)
        })
    }

    async fn redeem_email_verification(
        &self,
        token: AccountTokenId,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            let Some((user, address)) = state
                .account_tokens
                .get(&token.0)
                .filter(|row| row.kind == AccountTokenKind::EmailVerification && row.is_live(now))
                .map(|row| (row.user_id, fold_case(row.email.as_str())))
            else {
                return Ok(None);
            };
            // A link to an address the user has since left proves nothing.
            let still_theirs = state
                .users
                .get(&user.0)
                .is_some_and(|row| fold_case(row.email.as_str()) == address);
            if !still_theirs {
                return Ok(None);
            }
            if let Some(row) = state.account_tokens.get_mut(&token.0) {
                row.used_at = Some(now);
            }
            Ok(state.users.get_mut(&user.0).map(|row| {
                row.email_verified = true;
                row.clone()
            }))
        })
    }

    async fn revoke_all(
        &self,
        user: UserId,
        kind: AccountTokenKind,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let now = truncate(now);
        self.0
            .with_state(|state| Ok(state.revoke_live_tokens(user, kind, None, now)))
    }
}
