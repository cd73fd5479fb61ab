//! The `totp_factors` table: each user's TOTP factor, its secret sealed.

use std::fmt;

use domain::{SealedSecret, StoredFactor, TotpStep};
use sea_orm::entity::prelude::*;

/// A stored sealed secret. Its `Debug` never shows it, like the domain's
/// `SealedSecret`.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct StoredSealedSecret(pub Vec<u8>);

impl fmt::Debug for StoredSealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredSealedSecret(<redacted>)")
    }
}

/// A row of `totp_factors`: pending while `confirmed_at` is `None`;
/// `last_used_step` is the RFC 6238 step of the last accepted code (the
/// table's CHECK keeps it non-negative).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "totp_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub sealed_secret: StoredSealedSecret,
    pub confirmed_at: Option<DateTimeUtc>,
    pub last_used_step: Option<i64>,
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

impl Model {
    /// The row as the domain's factor; `None` for a negative step (the
    /// CHECK makes that impossible).
    pub(crate) fn into_factor(self) -> Option<StoredFactor> {
        let last_used_step = match self.last_used_step {
            Some(step) => Some(TotpStep(u64::try_from(step).ok()?)),
            None => None,
        };
        Some(StoredFactor {
            sealed: SealedSecret::new(self.sealed_secret.0),
            confirmed_at: self.confirmed_at,
            last_used_step,
        })
    }
}
