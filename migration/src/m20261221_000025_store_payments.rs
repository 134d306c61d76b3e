//! Payments through Stripe (SPEC C11.2): a workspace's Stripe account (keys
//! sealed at rest), the Stripe events already handled (each id once), and on
//! orders the shopper's private key to their order page and Stripe's payment
//! intent (what refunds name).

use crate::schema::{a, col, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "store_settings",
            &[
                StrNull("stripe_api_base"),
                TextNull("stripe_secret_key"),
                TextNull("stripe_webhook_secret"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "store_settings",
            "ux_store_settings_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;
        m.create_table(table(
            "stripe_events",
            &[
                Str("event_id"),
                Str("kind"),
                IntNull("order_id"),
                Time("received_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "stripe_events",
            "ux_stripe_events_event",
            &["workspace_id", "event_id"],
            true,
        ))
        .await?;
        for c in ["access_key", "payment_intent"] {
            m.alter_table(
                Table::alter()
                    .table(a("orders"))
                    .add_column(col(&StrNull(c)))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["payment_intent", "access_key"] {
            m.alter_table(
                Table::alter()
                    .table(a("orders"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        for t in ["stripe_events", "store_settings"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
