//! SMS and WhatsApp through Twilio (SPEC C4.4, C4.5): the workspace's Twilio
//! account (auth token sealed at rest), each outbound message's parts as Twilio
//! sent them (SID, status from its callbacks, segments, price), and STOP/START
//! on the customer's phone identifiers.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "twilio_accounts",
            &[
                Str("account_sid"),
                Text("auth_token"),
                StrNull("api_base"),
                StrNull("sms_from"),
                StrNull("whatsapp_from"),
                Str("hook_token"),
                BigInt("segment_price_micros"),
                Text("help_reply"),
                Text("templates"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "twilio_accounts",
            "ux_twilio_accounts_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "twilio_accounts",
            "ux_twilio_accounts_hook_token",
            &["hook_token"],
            true,
        ))
        .await?;

        let mut parts = table(
            "outbound_parts",
            &[
                Int("message_id"),
                Int("seq"),
                Str("channel"),
                Str("to_number"),
                Text("body"),
                TextNull("template"),
                TextNull("media"),
                StrNull("provider_sid"),
                Str("status"),
                StrNull("error_code"),
                TextNull("error_message"),
                Int("segments"),
                Str("encoding"),
                BigInt("price_micros"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut parts, "outbound_parts", "message_id", "messages", true);
        m.create_table(parts).await?;
        m.create_index(index(
            "outbound_parts",
            "ux_outbound_parts_message_seq",
            &["message_id", "seq"],
            true,
        ))
        .await?;
        m.create_index(index(
            "outbound_parts",
            "ux_outbound_parts_provider_sid",
            &["provider_sid"],
            true,
        ))
        .await?;

        m.alter_table(
            Table::alter()
                .table(a("customer_identifiers"))
                .add_column(
                    ColumnDef::new(a("opted_out_at"))
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("customer_identifiers"))
                .drop_column(a("opted_out_at"))
                .to_owned(),
        )
        .await?;
        for t in ["outbound_parts", "twilio_accounts"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
