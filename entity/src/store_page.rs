//! A storefront page the store writes in the admin app: privacy, terms,
//! contact, FAQ.

use sea_orm::entity::prelude::*;

/// A `store_pages` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "store_pages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// `privacy`, `terms`, `contact`, `faq`.
    pub slug: String,
    pub title: String,
    /// Plain text: blank lines part paragraphs, `## ` starts a heading, `- `
    /// a list item.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Who saved it last.
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
