//! A published version of a flow: immutable once written.

use sea_orm::entity::prelude::*;

/// A `flow_versions` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flow_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub flow_id: i32,
    /// 1, 2, 3 … per flow.
    pub version: i32,
    /// The graph (JSON), as published.
    #[sea_orm(column_type = "Text")]
    pub graph: String,
    pub published_by: Option<i32>,
    /// "Published", "Rolled back to version 2".
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
