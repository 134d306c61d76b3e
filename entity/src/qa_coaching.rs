//! A coaching assignment: a reviewed conversation an agent is asked to go over.

use sea_orm::entity::prelude::*;

/// A `qa_coaching` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_coaching")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub review_id: i32,
    pub agent_user_id: i32,
    pub assigned_by: i32,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// `open` or `done`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub done_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
