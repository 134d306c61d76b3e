//! A follow-up scheduled on a conversation (SPEC C6.8): sent when due unless the
//! customer answered in the meantime; cancellable.

use sea_orm::entity::prelude::*;

/// A `follow_ups` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_ups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub due_at: DateTimeUtc,
    /// `scheduled`, `sent`, `skipped` (the customer answered) or `cancelled`.
    pub status: String,
    /// `member`, `ai` or `rule`.
    pub created_by_kind: String,
    pub created_by_user_id: Option<i32>,
    pub created_by_label: String,
    pub action_id: Option<i32>,
    pub sent_message_id: Option<i32>,
    /// What happened, in words.
    #[sea_orm(column_type = "Text", nullable)]
    pub outcome: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
