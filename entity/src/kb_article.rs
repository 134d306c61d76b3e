//! A knowledge-base article in one locale; translations point at their parent.

use sea_orm::entity::prelude::*;

/// A `kb_articles` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_articles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub category_id: i32,
    pub parent_id: Option<i32>,
    pub locale: String,
    pub title: String,
    pub slug: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    pub status: String,
    pub internal: bool,
    pub revision: i32,
    pub author_id: Option<i32>,
    pub helpful: i32,
    pub not_helpful: i32,
    pub views: i32,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
