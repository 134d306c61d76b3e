//! A saved report: a name and its definition (metric, grouping, filters, chart)
//! as JSON; personal (`owner_user_id`) or shared with the workspace (`None`).

use sea_orm::entity::prelude::*;

/// A `reports` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub owner_user_id: Option<i32>,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub spec: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
