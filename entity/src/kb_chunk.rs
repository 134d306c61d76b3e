//! A searchable section of an article (split at headings), indexed for full text.

use sea_orm::entity::prelude::*;

/// A `kb_chunks` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_chunks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub article_id: i32,
    pub position: i32,
    pub heading: String,
    pub anchor: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub locale: String,
    pub internal: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub embedding: Option<String>,
    pub embedding_model: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
