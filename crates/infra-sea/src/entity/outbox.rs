//! The `outbox` table: mail waiting for delivery, delivered, or given up on.

use std::fmt;

use sea_orm::entity::prelude::*;

/// The `status` of a message still to be delivered (or being delivered).
pub const PENDING: &str = "pending";
/// The `status` of a delivered message.
pub const SENT: &str = "sent";
/// The `status` of a message given up on.
pub const FAILED: &str = "failed";

/// A stored mail part (text or HTML). It may hold a one-time link, so its
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct MailPart(pub String);

impl fmt::Debug for MailPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailPart(<redacted>)")
    }
}

/// A row of `outbox`. `status` is [`PENDING`], [`SENT`] or [`FAILED`] (the
/// table's CHECK); `attempts` counts claims not released.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text_body: MailPart,
    pub html_body: MailPart,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub failed_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
