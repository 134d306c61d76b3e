//! An internal to-do, linked to a conversation or a customer (SPEC C2.11).

use sea_orm::entity::prelude::*;

/// A `tasks` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub conversation_id: Option<i32>,
    pub customer_id: Option<i32>,
    pub assignee_user_id: Option<i32>,
    pub due_at: Option<DateTimeUtc>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// `open` or `done`.
    pub status: String,
    /// `member`, `ai` or `rule`.
    pub created_by_kind: String,
    pub created_by_user_id: Option<i32>,
    pub created_by_label: String,
    /// The action that created it, when one did.
    pub action_id: Option<i32>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
