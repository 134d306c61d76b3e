//! One variant of a product (a size and colour): its SKU, price in minor units
//! and stock.

use sea_orm::entity::prelude::*;

/// A `product_variants` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_variants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub product_id: i32,
    /// Unique in the workspace.
    pub sku: String,
    /// Option values (JSON object: `{"size": "M", "colour": "Moss"}`).
    #[sea_orm(column_type = "Text")]
    pub options: String,
    pub price_minor: i64,
    /// ISO 4217, lower case (`eur`).
    pub currency: String,
    pub stock: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
