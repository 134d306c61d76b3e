//! Shipping (SPEC C11.1, issue 13 point 3): the workspace's tracking provider
//! (EasyPost or ShipEngine, its API base and sealed keys), each order's
//! tracker and latest carrier status, and the carrier's tracking events, kept
//! once each however often a webhook or a poll repeats them.

use crate::schema::{a, col, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "shipping_settings",
            &[
                Str("provider"),
                StrNull("api_base"),
                TextNull("api_key"),
                TextNull("webhook_secret"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "shipping_settings",
            "ux_shipping_settings_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;
        let mut t = table(
            "tracking_events",
            &[
                Int("order_id"),
                Str("provider"),
                Str("event_key"),
                Str("status"),
                Text("description"),
                Str("location"),
                Time("occurred_at"),
                Time("created_at"),
            ],
        );
        crate::schema::fk(&mut t, "tracking_events", "order_id", "orders", true);
        m.create_table(t).await?;
        m.create_index(index(
            "tracking_events",
            "ux_tracking_events_key",
            &["workspace_id", "order_id", "event_key"],
            true,
        ))
        .await?;
        for c in [
            StrNull("tracking_provider"),
            StrNull("tracker_id"),
            StrNull("tracking_status"),
            TimeNull("tracking_eta"),
            TimeNull("tracking_checked_at"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("orders"))
                    .add_column(col(&c))
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(index(
            "orders",
            "ix_orders_tracking_number",
            &["workspace_id", "tracking_number"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_orders_tracking_number")
                .table(a("orders"))
                .to_owned(),
        )
        .await?;
        for c in [
            "tracking_checked_at",
            "tracking_eta",
            "tracking_status",
            "tracker_id",
            "tracking_provider",
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("orders"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(a("tracking_events")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("shipping_settings")).to_owned())
            .await?;
        Ok(())
    }
}
