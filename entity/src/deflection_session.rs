//! One customer's article suggestions while writing (widget or form): suggested, opened, submitted.

use sea_orm::entity::prelude::*;

/// A `deflection_sessions` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deflection_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub token: String,
    pub channel: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_query: Option<String>,
    pub suggested: i32,
    pub opened: i32,
    #[sea_orm(column_type = "Text")]
    pub article_ids: String,
    pub submitted: bool,
    pub conversation_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
