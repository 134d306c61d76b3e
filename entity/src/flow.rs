//! A chatbot flow or a visual workflow: its editable draft (a graph as JSON) and
//! which published version runs.

use sea_orm::entity::prelude::*;

/// A `flows` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// `chatbot` or `workflow`.
    pub kind: String,
    /// Comma-separated channels it runs on (empty: none yet).
    pub channels: String,
    /// The draft graph (JSON, checked for structure on every save).
    #[sea_orm(column_type = "Text")]
    pub draft: String,
    /// The version that runs (none: never published).
    pub published_version: Option<i32>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
