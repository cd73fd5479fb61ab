//! The `recovery_codes` table: the hashes of each user's recovery codes,
//! never the codes.

use std::fmt;

use sea_orm::entity::prelude::*;

/// A stored recovery-code hash. Its `Debug` never shows it, like the
/// domain's `RecoveryCodeHash`.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct StoredCodeHash(pub String);

impl fmt::Debug for StoredCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredCodeHash(<redacted>)")
    }
}

/// A row of `recovery_codes`: unused while `used_at` is `None`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub code_hash: StoredCodeHash,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
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
