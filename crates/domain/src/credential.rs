//! What a bearer credential proves, and the rule by which a store checks
//! it in the same step as the work it allows.
//!
//! Two kinds of bearer credential name a user: an access token names one of
//! their sessions ([`Credential::Session`]); a personal access token is one
//! of their [`PersonalToken`](crate::PersonalToken)s
//! ([`Credential::PersonalToken`]). The todo use cases serve both alike.

use chrono::{DateTime, Utc};

use crate::personal_token::PersonalTokenId;
use crate::ports::VerifiedAccess;
use crate::session::{Session, SessionId};
use crate::user::{User, UserId};

/// What stands behind a request besides its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Credential {
    /// One of the user's sessions, named by a verified access token.
    Session(SessionId),
    /// One of the user's personal access tokens.
    PersonalToken(PersonalTokenId),
}

impl Credential {
    /// The session, for a session's credential.
    #[must_use]
    pub fn session(self) -> Option<SessionId> {
        match self {
            Self::Session(session) => Some(session),
            Self::PersonalToken(_) => None,
        }
    }
}

/// Whom a request acts for: a user and the credential that names them,
/// its signature (or hash) checked, and still to be proven live by the use
/// case it is handed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub user: UserId,
    pub credential: Credential,
}

impl From<VerifiedAccess> for Access {
    fn from(access: VerifiedAccess) -> Self {
        Self {
            user: access.user,
            credential: Credential::Session(access.session),
        }
    }
}

/// A user acting through one of their credentials, at an instant: whom a
/// request on the user's own data (their todos) is served for.
///
/// The rule every store honours: the work is done only while the
/// credential is **live** for this user (the user exists and is active;
/// the session is theirs, not revoked, not expired at `at`, as
/// [`LiveCredential::admits_session`] defines it; or the personal access
/// token is theirs, not revoked, not expired at `at`, as
/// [`crate::ports::PersonalTokenRepository::holds`] defines it), and the
/// check is **atomic with the work**. A logout, a token's revocation, a
/// password change or a deactivation that is stored before the write means
/// the write does not happen; there is no window between "checked" and
/// "done".
///
/// How an adapter honours it is its own business: a SQL store puts the
/// check in the `WHERE` of the very statement that does the work (one round
/// trip), an in-memory store checks and works under one lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveCredential {
    pub user: UserId,
    pub credential: Credential,
    pub at: DateTime<Utc>,
}

impl LiveCredential {
    /// Whether a store holding `user` and `session` (the rows of
    /// `self.user` and of the session `self.credential` names) may act for
    /// this caller: the definition every adapter's session check must agree
    /// with. Always `false` for a personal access token's credential.
    #[must_use]
    pub fn admits_session(&self, user: &User, session: &Session) -> bool {
        self.credential == Credential::Session(session.id)
            && user.id == self.user
            && user.is_active
            && session.user_id == self.user
            && session.is_active(self.at)
    }
}
