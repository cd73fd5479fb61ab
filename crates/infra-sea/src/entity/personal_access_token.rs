//! The `personal_access_tokens` table: hashes of personal access tokens,
//! never the tokens.

use std::fmt;

use domain::{PersonalToken, PersonalTokenId, RepositoryError, TokenName, TokenScopes, UserId};
use sea_orm::entity::prelude::*;

/// A stored token hash. Its `Debug` never shows it, like the domain's
/// `PersonalTokenHash`.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct StoredPatHash(pub String);

impl fmt::Debug for StoredPatHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredPatHash(<redacted>)")
    }
}

/// A row of `personal_access_tokens`: live while `revoked_at` is `None`
/// and `expires_at` is `None` or ahead. `scopes` is the scope names,
/// space-separated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "personal_access_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: StoredPatHash,
    pub scopes: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
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

/// The scopes as stored.
pub(crate) fn stored_scopes(scopes: TokenScopes) -> String {
    scopes
        .iter()
        .map(domain::TokenScope::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

impl TryFrom<Model> for PersonalToken {
    type Error = RepositoryError;

    /// Only rows this adapter wrote are read, so a name or scope that does
    /// not parse is corruption, not input.
    fn try_from(row: Model) -> Result<Self, RepositoryError> {
        let corrupt = |what: &str| {
            RepositoryError::Unexpected(anyhow::anyhow!(
                "{what} of personal access token {} does not parse",
                row.id
            ))
        };
        Ok(Self {
            id: PersonalTokenId(row.id),
            user_id: UserId(row.user_id),
            name: TokenName::parse(row.name.clone()).map_err(|_| corrupt("the name"))?,
            scopes: TokenScopes::parse(row.scopes.split(' ')).map_err(|_| corrupt("the scopes"))?,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
    }
}
