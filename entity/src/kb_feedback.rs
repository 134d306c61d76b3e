//! A reader's helpful / not helpful vote on an article, with an optional comment.

use sea_orm::entity::prelude::*;

/// A `kb_feedback` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub article_id: i32,
    pub helpful: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub locale: Option<String>,
    pub visitor: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
