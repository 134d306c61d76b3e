//! A merge of conversations, with what it changed, so it can be undone.

use sea_orm::entity::prelude::*;

/// A `merges` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub primary_id: i32,
    #[sea_orm(column_type = "Text")]
    pub secondary_ids: String,
    #[sea_orm(column_type = "Text")]
    pub moved_message_ids: String,
    #[sea_orm(column_type = "Text")]
    pub added_tag_ids: String,
    #[sea_orm(column_type = "Text")]
    pub note_ids: String,
    #[sea_orm(column_type = "Text")]
    pub previous_states: String,
    pub actor_user_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub undone_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
