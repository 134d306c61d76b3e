//! An in-app notification for one user (e.g. an @mention).

use sea_orm::entity::prelude::*;

/// A `notifications` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub user_id: i32,
    pub kind: String,
    pub conversation_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
