//! A line of an order: what was bought (copied, so the order reads the same
//! when the catalog changes), at what price, how many, and how many came back.

use sea_orm::entity::prelude::*;

/// An `order_items` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub order_id: i32,
    /// The variant (none once it was deleted from the catalog).
    pub variant_id: Option<i32>,
    pub product_name: String,
    /// `M · Moss`.
    pub variant_label: String,
    pub sku: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub refunded_quantity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
