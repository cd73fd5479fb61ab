//! The one state every port of a [`crate::MemoryStore`] shares, and the
//! rules of the SQL schema it mirrors (column widths, the token-hash CHECK).

use std::collections::{BTreeMap, HashMap};

use anyhow::anyhow;
use chrono::{DateTime, TimeDelta, Utc};
use domain::{
    AccountTokenKind, Credential, Email, LiveCredential, MailMessage, PersonalToken,
    RepositoryError, Session, Todo, User, UserId,
};

/// A refresh token as the `refresh_tokens` table keeps it (the hash is the
/// key). The table's `created_at` is left out: no port reads it.
#[derive(Clone)]
pub(crate) struct TokenRow {
    pub(crate) session_id: i64,
    pub(crate) spent_at: Option<DateTime<Utc>>,
}

/// A row of `account_tokens`.
#[derive(Clone)]
pub(crate) struct AccountTokenRow {
    pub(crate) user_id: UserId,
    pub(crate) kind: AccountTokenKind,
    pub(crate) hash: String,
    pub(crate) email: Email,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

impl AccountTokenRow {
    /// Neither used nor revoked, and expiring after `now`.
    pub(crate) fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A row of `personal_access_tokens`: the token and its secret's hash.
#[derive(Clone)]
pub(crate) struct PersonalTokenRow {
    pub(crate) token: PersonalToken,
    pub(crate) hash: String,
}

/// A row of `totp_factors` (the user id is the key). The table's
/// `created_at` is left out: no port reads it.
#[derive(Clone)]
pub(crate) struct FactorRow {
    pub(crate) sealed: Vec<u8>,
    pub(crate) confirmed_at: Option<DateTime<Utc>>,
    /// As the `BIGINT` column keeps it.
    pub(crate) last_used_step: Option<i64>,
}

/// A row of `recovery_codes`. The table's `created_at` is left out: no
/// port reads it.
#[derive(Clone)]
pub(crate) struct RecoveryCodeRow {
    pub(crate) user_id: UserId,
    pub(crate) hash: String,
    pub(crate) used_at: Option<DateTime<Utc>>,
}

/// The `status` of an outbox row, with the instant it finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutboxStatus {
    Pending,
    Sent(DateTime<Utc>),
    Failed(DateTime<Utc>),
}

/// A row of `outbox`.
#[derive(Clone)]
pub(crate) struct OutboxRow {
    pub(crate) message: MailMessage,
    pub(crate) status: OutboxStatus,
    pub(crate) attempts: u32,
    pub(crate) next_attempt_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    /// Kept as the table keeps it, for the operator; no port reads it back.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) last_error: Option<String>,
}

/// The tables. Rows are kept as the domain types the ports return; the
/// `next_*` counters are the identity columns (start at 1, never reused,
/// not consumed by a failed write).
pub(crate) struct State {
    pub(crate) users: BTreeMap<i64, User>,
    pub(crate) next_user: i64,
    pub(crate) todos: BTreeMap<i64, Todo>,
    pub(crate) next_todo: i64,
    pub(crate) sessions: BTreeMap<i64, Session>,
    pub(crate) next_session: i64,
    /// By token hash.
    pub(crate) tokens: HashMap<String, TokenRow>,
    /// By storage key; each list ascending by time. A key with no event
    /// left has no entry.
    pub(crate) attempts: HashMap<String, Vec<DateTime<Utc>>>,
    pub(crate) retention: TimeDelta,
    pub(crate) account_tokens: BTreeMap<i64, AccountTokenRow>,
    pub(crate) next_account_token: i64,
    pub(crate) outbox: BTreeMap<i64, OutboxRow>,
    pub(crate) next_outbox: i64,
    pub(crate) personal_tokens: BTreeMap<i64, PersonalTokenRow>,
    pub(crate) next_personal_token: i64,
    /// By user id.
    pub(crate) totp_factors: BTreeMap<i64, FactorRow>,
    pub(crate) recovery_codes: BTreeMap<i64, RecoveryCodeRow>,
    pub(crate) next_recovery_code: i64,
}

impl State {
    pub(crate) fn new(retention: TimeDelta) -> Self {
        Self {
            users: BTreeMap::new(),
            next_user: 1,
            todos: BTreeMap::new(),
            next_todo: 1,
            sessions: BTreeMap::new(),
            next_session: 1,
            tokens: HashMap::new(),
            attempts: HashMap::new(),
            retention,
            account_tokens: BTreeMap::new(),
            next_account_token: 1,
            outbox: BTreeMap::new(),
            next_outbox: 1,
            personal_tokens: BTreeMap::new(),
            next_personal_token: 1,
            totp_factors: BTreeMap::new(),
            recovery_codes: BTreeMap::new(),
            next_recovery_code: 1,
        }
    }

    /// Whether `caller`'s credential is live against the stored rows, as
    /// the SQL adapters' `EXISTS` in the statement's `WHERE`: the session
    /// rule of [`LiveCredential::admits_session`] (user and session must
    /// exist), or the personal access token's of
    /// [`State::personal_token_holds`].
    pub(crate) fn admits(&self, caller: &LiveCredential) -> bool {
        match caller.credential {
            Credential::Session(session) => {
                match (
                    self.users.get(&caller.user.0),
                    self.sessions.get(&session.0),
                ) {
                    (Some(user), Some(session)) => caller.admits_session(user, session),
                    _ => false,
                }
            }
            Credential::PersonalToken(token) => {
                self.personal_token_holds(caller.user, token, caller.at)
            }
        }
    }

    /// Checks `message` as `outbox` would store it (PostgreSQL refuses NUL
    /// in text): call before the write's first change.
    pub(crate) fn check_mail(message: &MailMessage) -> Result<(), RepositoryError> {
        bindable(message.to.as_str(), "outbox.recipient")?;
        bindable(&message.subject, "outbox.subject")?;
        bindable(&message.text, "outbox.text_body")?;
        bindable(&message.html, "outbox.html_body")
    }

    /// Queues `message` due at `now` (checked by [`State::check_mail`]).
    pub(crate) fn queue(
        &mut self,
        message: MailMessage,
        now: DateTime<Utc>,
    ) -> Result<i64, RepositoryError> {
        let id = take_id(&mut self.next_outbox, "outbox")?;
        self.outbox.insert(
            id,
            OutboxRow {
                message,
                status: OutboxStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
                last_error: None,
            },
        );
        Ok(id)
    }

    /// Revokes at `now` the live tokens of `user` of `kind`, but `except`.
    pub(crate) fn revoke_live_tokens(
        &mut self,
        user: UserId,
        kind: AccountTokenKind,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> u64 {
        let mut revoked: u64 = 0;
        for (id, token) in &mut self.account_tokens {
            if token.user_id == user
                && token.kind == kind
                && Some(*id) != except
                && token.is_live(now)
            {
                token.revoked_at = Some(now);
                revoked = revoked.saturating_add(1);
            }
        }
        revoked
    }

    /// Events stored, over every key.
    pub(crate) fn attempt_count(&self) -> usize {
        self.attempts.values().map(Vec::len).sum()
    }
}

/// Takes the next value of an identity counter. Call it only once every
/// check of the write has passed, so a refused write consumes no id.
pub(crate) fn take_id(counter: &mut i64, table: &'static str) -> Result<i64, RepositoryError> {
    let id = *counter;
    *counter = id
        .checked_add(1)
        .ok_or_else(|| unexpected(format!("{table}: the identity column is exhausted")))?;
    Ok(id)
}

pub(crate) fn unexpected(message: impl Into<String>) -> RepositoryError {
    RepositoryError::Unexpected(anyhow!("{}", message.into()))
}

/// A text bound as a statement parameter: PostgreSQL refuses NUL in text
/// (an error, not an empty answer).
pub(crate) fn bindable(value: &str, what: &'static str) -> Result<(), RepositoryError> {
    if value.contains('\0') {
        Err(unexpected(format!(
            "{what}: invalid byte sequence for encoding \"UTF8\": 0x00"
        )))
    } else {
        Ok(())
    }
}

/// A text written to a `VARCHAR(max_chars)` column: PostgreSQL refuses a
/// longer value (counted in characters) rather than cutting it.
pub(crate) fn fits(
    value: &str,
    max_chars: usize,
    column: &'static str,
) -> Result<(), RepositoryError> {
    bindable(value, column)?;
    if value.chars().count() > max_chars {
        Err(unexpected(format!(
            "{column}: value too long for type character varying({max_chars})"
        )))
    } else {
        Ok(())
    }
}

/// The CHECK `refresh_tokens_token_hash_is_sha256_hex`: 64 lower-case hex digits.
pub(crate) fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Text cut to what a column holds (as infra-sea's `storable`): no NUL, at
/// most `max_chars` characters.
pub(crate) fn storable(value: &str, max_chars: usize) -> String {
    value
        .chars()
        .filter(|c| *c != '\0')
        .take(max_chars)
        .collect()
}

/// Where a page starts and how many rows to read for it, as `usize`.
pub(crate) fn rows_to_read(page: domain::PageRequest) -> (usize, usize) {
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let read = usize::try_from(page.rows_to_read()).unwrap_or(usize::MAX);
    (offset, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_rules() {
        assert!(fits(&"é".repeat(255), 255, "c").is_ok());
        assert!(fits(&"é".repeat(256), 255, "c").is_err());
        assert!(fits("a\0b", 255, "c").is_err());
        assert!(is_sha256_hex(&"0a".repeat(32)));
        assert!(!is_sha256_hex(&"0A".repeat(32)));
        assert!(!is_sha256_hex(&"0a".repeat(31)));
        assert_eq!(storable("a\0b", 1), "a");
    }

    #[test]
    fn ids_count_from_one_and_never_wrap() {
        let mut next = 1;
        assert_eq!(take_id(&mut next, "t").ok(), Some(1));
        assert_eq!(take_id(&mut next, "t").ok(), Some(2));
        let mut last = i64::MAX;
        assert!(take_id(&mut last, "t").is_err());
        assert_eq!(last, i64::MAX);
    }
}
