//! In-app messages from campaigns (SPEC C10.2): a campaign's "Send in-app
//! message" step writes a `campaign_sends` row like an email's, with
//! `channel = in_app` and the targeted message it shows; the widget shows it on
//! the customer's next visit and the row counts it seen and clicked.

use crate::schema::{a, col, index, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a column at a time.
        m.alter_table(
            Table::alter()
                .table(a("campaign_sends"))
                .add_column(
                    ColumnDef::new(a("channel"))
                        .string()
                        .not_null()
                        .default("email"),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("campaign_sends"))
                .add_column(col(&C::IntNull("message_id")))
                .to_owned(),
        )
        .await?;
        // The widget asks, on every visit, what waits for this customer.
        m.create_index(index(
            "campaign_sends",
            "ix_campaign_sends_waiting",
            &["customer_id", "status"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_campaign_sends_waiting")
                .table(a("campaign_sends"))
                .to_owned(),
        )
        .await?;
        for c in ["message_id", "channel"] {
            m.alter_table(
                Table::alter()
                    .table(a("campaign_sends"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
