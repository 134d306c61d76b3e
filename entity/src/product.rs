//! A product of the catalog; what is sold are its variants.

use sea_orm::entity::prelude::*;

/// A `products` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub category_id: Option<i32>,
    pub name: String,
    /// Unique in the workspace; the storefront's address for it.
    pub slug: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Image addresses (JSON array of strings).
    #[sea_orm(column_type = "Text")]
    pub images: String,
    /// `active` (on sale) or `draft`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
