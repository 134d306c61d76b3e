//! A typed custom field on conversations (text, number, date, dropdown, checkbox).

use sea_orm::entity::prelude::*;

/// A `custom_field_defs` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field_defs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub key: String,
    pub label: String,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub options: String,
    pub position: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
