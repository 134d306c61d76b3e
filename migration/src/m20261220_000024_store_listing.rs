//! Indexes for reads at catalog and order-book scale (SPEC C11): the
//! storefront lists a category's products on sale by name, a page at a time,
//! then reads just those products' variants; the inbox sidebar reads a
//! customer's newest orders and their lines. Every tenant query also filters
//! on `workspace_id`, so each index starts with it (otherwise SQLite picks a
//! unique index on `workspace_id` and scans the workspace's rows).

use crate::schema::{a, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, index, columns).
const INDEXES: [(&str, &str, &[&str]); 4] = [
    (
        "products",
        "ix_products_listing",
        &["workspace_id", "category_id", "status", "name"],
    ),
    (
        "product_variants",
        "ix_product_variants_ws_product",
        &["workspace_id", "product_id", "position"],
    ),
    (
        "orders",
        "ix_orders_ws_customer",
        &["workspace_id", "customer_id", "placed_at"],
    ),
    (
        "order_items",
        "ix_order_items_ws_order",
        &["workspace_id", "order_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, name, cols) in INDEXES {
            m.create_index(index(t, name, cols, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(a(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
