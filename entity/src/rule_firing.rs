//! One firing of a rule on a ticket, with the ticket before and after (or why it
//! failed or was stopped).

use sea_orm::entity::prelude::*;

/// A `rule_firings` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_firings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub rule_id: i32,
    pub rule_version: i32,
    pub conversation_id: i32,
    /// What set it off (`ticket_created`, `message_received`, `ticket_updated`,
    /// `schedule`).
    pub event: String,
    /// `applied`, `failed` or `stopped`.
    pub outcome: String,
    /// JSON list of the changes in words.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    /// JSON snapshot before.
    #[sea_orm(column_type = "Text")]
    pub before: String,
    /// JSON snapshot after.
    #[sea_orm(column_type = "Text")]
    pub after: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
