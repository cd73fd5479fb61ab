//! The `account_tokens` table: hashes of one-time account tokens (password
//! reset, email verification), never the tokens.

use std::fmt;

use domain::{AccountTokenId, AccountTokenKind, Email, LiveAccountToken, UserId};
use sea_orm::entity::prelude::*;

/// A stored account-token hash. Its `Debug` never shows it, like the
/// domain's `AccountTokenHash`.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct StoredTokenHash(pub String);

impl fmt::Debug for StoredTokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredTokenHash(<redacted>)")
    }
}

/// A row of `account_tokens`: live while `used_at` and `revoked_at` are
/// `None` and `expires_at` is ahead. `kind` is an
/// `AccountTokenKind::as_str()` (the table's CHECK allows nothing else).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub token_hash: StoredTokenHash,
    pub email: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The row as the domain's live token; `None` if its kind is unknown
    /// (the CHECK makes that impossible).
    pub(crate) fn into_live(self) -> Option<LiveAccountToken> {
        Some(LiveAccountToken {
            id: AccountTokenId(self.id),
            user_id: UserId(self.user_id),
            kind: AccountTokenKind::parse(&self.kind)?,
            email: Email::from_stored(self.email),
            expires_at: self.expires_at,
        })
    }
}
