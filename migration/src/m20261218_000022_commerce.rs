//! Commerce (SPEC C11), first tables: the catalog (categories, products and
//! their variants with price and stock, in minor units), orders with their
//! lines and a timeline of what happened to each (status moves, notes,
//! refunds). Money is stored in minor units (cents) as 64-bit integers.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        // Order numbers, handed out like ticket numbers (`ticket_seq`).
        m.alter_table(
            Table::alter()
                .table(a("workspaces"))
                .add_column(
                    ColumnDef::new(a("order_seq"))
                        .integer()
                        .not_null()
                        .default(1000),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(table(
            "product_categories",
            &[
                Str("name"),
                Str("slug"),
                Int("position"),
                Time("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "product_categories",
            "ux_product_categories_slug",
            &["workspace_id", "slug"],
            true,
        ))
        .await?;
        let mut products = table(
            "products",
            &[
                IntNull("category_id"),
                Str("name"),
                Str("slug"),
                Text("description"),
                Text("images"),
                Str("status"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut products,
            "products",
            "category_id",
            "product_categories",
            false,
        );
        m.create_table(products).await?;
        m.create_index(index(
            "products",
            "ux_products_slug",
            &["workspace_id", "slug"],
            true,
        ))
        .await?;
        let mut variants = table(
            "product_variants",
            &[
                Int("product_id"),
                Str("sku"),
                Text("options"),
                BigInt("price_minor"),
                Str("currency"),
                Int("stock"),
                Int("position"),
            ],
        );
        fk(
            &mut variants,
            "product_variants",
            "product_id",
            "products",
            true,
        );
        m.create_table(variants).await?;
        m.create_index(index(
            "product_variants",
            "ux_product_variants_sku",
            &["workspace_id", "sku"],
            true,
        ))
        .await?;
        m.create_index(index(
            "product_variants",
            "ix_product_variants_product",
            &["product_id"],
            false,
        ))
        .await?;
        let mut orders = table(
            "orders",
            &[
                Str("number"),
                Int("customer_id"),
                Str("status"),
                Str("currency"),
                BigInt("subtotal_minor"),
                BigInt("shipping_minor"),
                BigInt("total_minor"),
                BigInt("refunded_minor"),
                Text("shipping_address"),
                Text("payment"),
                StrNull("stripe_session"),
                StrNull("carrier"),
                StrNull("tracking_number"),
                Time("placed_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut orders, "orders", "customer_id", "customers", true);
        m.create_table(orders).await?;
        m.create_index(index(
            "orders",
            "ux_orders_number",
            &["workspace_id", "number"],
            true,
        ))
        .await?;
        // A customer's orders (the sidebar, segments, campaigns).
        m.create_index(index(
            "orders",
            "ix_orders_customer",
            &["customer_id", "placed_at"],
            false,
        ))
        .await?;
        let mut items = table(
            "order_items",
            &[
                Int("order_id"),
                IntNull("variant_id"),
                Str("product_name"),
                Str("variant_label"),
                Str("sku"),
                BigInt("unit_price_minor"),
                Int("quantity"),
                Int("refunded_quantity"),
            ],
        );
        fk(&mut items, "order_items", "order_id", "orders", true);
        fk(
            &mut items,
            "order_items",
            "variant_id",
            "product_variants",
            false,
        );
        m.create_table(items).await?;
        m.create_index(index(
            "order_items",
            "ix_order_items_order",
            &["order_id"],
            false,
        ))
        .await?;
        let mut events = table(
            "order_events",
            &[
                Int("order_id"),
                Str("kind"),
                StrNull("from_status"),
                StrNull("to_status"),
                Text("note"),
                Str("actor"),
                Time("created_at"),
            ],
        );
        fk(&mut events, "order_events", "order_id", "orders", true);
        m.create_table(events).await?;
        m.create_index(index(
            "order_events",
            "ix_order_events_order",
            &["order_id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "order_events",
            "order_items",
            "orders",
            "product_variants",
            "products",
            "product_categories",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(a("workspaces"))
                .drop_column(a("order_seq"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
