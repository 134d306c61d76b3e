//! A customer segment: a name and the conditions its customers meet (a `Cond`
//! tree as JSON, checked before every save).

use sea_orm::entity::prelude::*;

/// A `segments` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The conditions (JSON).
    #[sea_orm(column_type = "Text")]
    pub conditions: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
