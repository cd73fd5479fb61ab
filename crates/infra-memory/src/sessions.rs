//! [`SessionRepository`] in memory: sessions and the hashes of their
//! refresh tokens. Rotation checks and writes under the store's one lock,
//! so of concurrent rotations of one token exactly one finds it unspent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::SessionRepository;
use domain::time::truncate;
use domain::{
    ClientInfo, Credential, LiveCredential, NewSession, RefreshTokenHash, RepositoryError, Session,
    SessionId, StoredRefreshToken, User, UserId,
};

use crate::MemoryStore;
use crate::state::{State, TokenRow, bindable, is_sha256_hex, storable, take_id, unexpected};

/// The widths of `sessions.user_agent` and `sessions.ip` (cut, not refused).
const USER_AGENT_CHARS: usize = 512;
const IP_CHARS: usize = 64;

pub(crate) struct MemorySessions(pub(crate) MemoryStore);

/// A new row of `refresh_tokens`: the hash passes the table's CHECK and is
/// not already a key.
fn check_new_token(state: &State, hash: &RefreshTokenHash) -> Result<(), RepositoryError> {
    let hash = hash.as_str();
    bindable(hash, "refresh_tokens.token_hash")?;
    if !is_sha256_hex(hash) {
        return Err(unexpected(
            "refresh_tokens: the token hash is not 64 lower-case hex digits \
             (CHECK refresh_tokens_token_hash_is_sha256_hex)",
        ));
    }
    if state.tokens.contains_key(hash) {
        return Err(unexpected(
            "refresh_tokens: duplicate key value violates the primary key",
        ));
    }
    Ok(())
}

#[async_trait]
impl SessionRepository for MemorySessions {
    async fn create(&self, new: NewSession) -> Result<Session, RepositoryError> {
        self.0.with_state(|state| {
            if !state.users.contains_key(&new.user_id.0) {
                return Err(unexpected(
                    "sessions: the user does not exist (foreign key sessions.user_id)",
                ));
            }
            check_new_token(state, &new.first_token)?;
            let created_at = truncate(new.created_at);
            let session = Session {
                id: SessionId(take_id(&mut state.next_session, "sessions")?),
                user_id: new.user_id,
                created_at,
                last_used_at: created_at,
                expires_at: truncate(new.expires_at),
                revoked_at: None,
                client: ClientInfo {
                    user_agent: new
                        .client
                        .user_agent
                        .as_deref()
                        .map(|ua| storable(ua, USER_AGENT_CHARS)),
                    ip: new.client.ip.as_deref().map(|ip| storable(ip, IP_CHARS)),
                },
            };
            state.sessions.insert(session.id.0, session.clone());
            state.tokens.insert(
                new.first_token.as_str().to_owned(),
                TokenRow {
                    session_id: session.id.0,
                    spent_at: None,
                },
            );
            Ok(session)
        })
    }

    async fn find_refresh_token(
        &self,
        hash: &RefreshTokenHash,
    ) -> Result<Option<StoredRefreshToken>, RepositoryError> {
        self.0.with_state(|state| {
            bindable(hash.as_str(), "refresh_tokens.token_hash")?;
            // The cascade keeps a token from outliving its session.
            Ok(state.tokens.get(hash.as_str()).and_then(|token| {
                state
                    .sessions
                    .get(&token.session_id)
                    .map(|session| StoredRefreshToken {
                        session: session.clone(),
                        spent_at: token.spent_at,
                    })
            }))
        })
    }

    async fn rotate(
        &self,
        session: SessionId,
        presented: &RefreshTokenHash,
        successor: &RefreshTokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            bindable(presented.as_str(), "refresh_tokens.token_hash")?;
            // The check: this session's token, not yet spent. The loser of
            // a race finds it spent, and nothing is written.
            let spendable = state
                .tokens
                .get(presented.as_str())
                .is_some_and(|token| token.session_id == session.0 && token.spent_at.is_none());
            if !spendable {
                return Ok(false);
            }
            // Everything the write needs is checked before its first change.
            check_new_token(state, successor)?;
            if let Some(token) = state.tokens.get_mut(presented.as_str()) {
                token.spent_at = Some(now);
            }
            state.tokens.insert(
                successor.as_str().to_owned(),
                TokenRow {
                    session_id: session.0,
                    spent_at: None,
                },
            );
            if let Some(row) = state.sessions.get_mut(&session.0) {
                row.last_used_at = now;
            }
            Ok(true)
        })
    }

    async fn revoke(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let now = truncate(now);
        self.0
            .with_state(|state| match state.sessions.get_mut(&session.0) {
                Some(row) if row.user_id == user && row.is_active(now) => {
                    row.revoked_at = Some(now);
                    Ok(true)
                }
                _ => Ok(false),
            })
    }

    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            let mut ended: u64 = 0;
            for row in state.sessions.values_mut() {
                if row.user_id == user && row.is_active(now) && Some(row.id) != keep {
                    row.revoked_at = Some(now);
                    ended = ended.saturating_add(1);
                }
            }
            Ok(ended)
        })
    }

    async fn list_active(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, RepositoryError> {
        let now = truncate(now);
        self.0.with_state(|state| {
            let mut active: Vec<Session> = state
                .sessions
                .values()
                .filter(|row| row.user_id == user && row.is_active(now))
                .cloned()
                .collect();
            // ORDER BY created_at DESC, id DESC.
            active.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
            Ok(active)
        })
    }

    async fn find_authenticated(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError> {
        let check = LiveCredential {
            user,
            credential: Credential::Session(session),
            at: truncate(now),
        };
        self.0.with_state(|state| {
            Ok(if state.admits(&check) {
                state.users.get(&user.0).cloned()
            } else {
                None
            })
        })
    }
}
