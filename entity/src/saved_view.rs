//! A saved view: filters + sort; personal (`owner_user_id`) or shared.

use sea_orm::entity::prelude::*;

/// A `views` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "views")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub owner_user_id: Option<i32>,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub filters: String,
    pub sort: String,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
