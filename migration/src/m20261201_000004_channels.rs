//! Customer channels: per-channel settings (keys, allowed origins, formatting rules,
//! the IMAP poll cursor), CSAT answers, outbound webhook endpoints and their
//! delivery log, RFC 5322 Message-IDs on messages (email threading), read receipts
//! on conversations, threading headers on outbox emails, and a public slug per
//! workspace (support form and status page URLs).

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order (dropped in reverse).
const TABLES: &[&str] = &[
    "channel_settings",
    "csat_responses",
    "webhook_endpoints",
    "webhook_deliveries",
];

/// Columns added to existing tables: (table, column, definition).
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        (
            "messages",
            ColumnDef::new(a("rfc_message_id"))
                .string()
                .null()
                .to_owned(),
        ),
        (
            "conversations",
            ColumnDef::new(a("customer_read_message_id"))
                .integer()
                .null()
                .to_owned(),
        ),
        (
            "conversations",
            ColumnDef::new(a("agent_read_message_id"))
                .integer()
                .null()
                .to_owned(),
        ),
        (
            "emails",
            ColumnDef::new(a("from_address")).string().null().to_owned(),
        ),
        (
            "emails",
            ColumnDef::new(a("in_reply_to")).string().null().to_owned(),
        ),
        (
            "emails",
            ColumnDef::new(a("references_header"))
                .text()
                .null()
                .to_owned(),
        ),
        (
            "emails",
            ColumnDef::new(a("auto_submitted"))
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ),
        (
            "workspaces",
            ColumnDef::new(a("slug")).string().null().to_owned(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        // SQLite takes one ALTER per statement.
        for (t, c) in added_columns() {
            m.alter_table(Table::alter().table(a(t)).add_column(c).to_owned())
                .await?;
        }
        m.create_index(index(
            "messages",
            "ix_messages_rfc_id",
            &["workspace_id", "rfc_message_id"],
            false,
        ))
        .await?;
        // Existing workspaces get a neutral slug; new ones are named after themselves.
        m.get_connection()
            .execute_unprepared("UPDATE workspaces SET slug = 'ws-' || CAST(id AS TEXT)")
            .await?;
        m.create_index(index("workspaces", "ux_workspaces_slug", &["slug"], true))
            .await?;

        m.create_table(table(
            "channel_settings",
            &[
                Str("channel"),
                Bool("enabled"),
                StrNull("public_key"),
                StrNull("inbound_token"),
                Text("config"),
                Str("tone"),
                Int("max_words"),
                IntNull("max_chars"),
                TextNull("greeting"),
                TextNull("signoff"),
                Bool("include_reference"),
                TextNull("poll_state"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "channel_settings",
            "ux_channel_settings_channel",
            &["workspace_id", "channel"],
            true,
        ))
        .await?;
        m.create_index(index(
            "channel_settings",
            "ux_channel_settings_public_key",
            &["public_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "channel_settings",
            "ux_channel_settings_inbound_token",
            &["inbound_token"],
            true,
        ))
        .await?;

        let mut t = table(
            "csat_responses",
            &[
                Int("conversation_id"),
                Int("customer_id"),
                Int("rating"),
                TextNull("comment"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut t,
            "csat_responses",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "csat_responses",
            "ux_csat_responses_conversation",
            &["conversation_id"],
            true,
        ))
        .await?;

        m.create_table(table(
            "webhook_endpoints",
            &[
                Str("url"),
                StrNull("description"),
                Str("secret"),
                Text("events"),
                Text("headers"),
                Bool("active"),
                Bool("allow_private"),
                TextNull("paused_reason"),
                TimeNull("failing_since"),
                TimeNull("last_success_at"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;

        let mut t = table(
            "webhook_deliveries",
            &[
                Int("endpoint_id"),
                Str("event_id"),
                Str("event_kind"),
                Text("payload"),
                Str("status"),
                Int("attempts"),
                IntNull("response_status"),
                IntNull("duration_ms"),
                TextNull("response_excerpt"),
                TextNull("error"),
                Time("created_at"),
                TimeNull("last_attempt_at"),
            ],
        );
        fk(
            &mut t,
            "webhook_deliveries",
            "endpoint_id",
            "webhook_endpoints",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "webhook_deliveries",
            "ix_webhook_deliveries_endpoint",
            &["workspace_id", "endpoint_id", "id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("ux_workspaces_slug")
                .table(a("workspaces"))
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_messages_rfc_id")
                .table(a("messages"))
                .to_owned(),
        )
        .await?;
        for (t, c) in added_columns().into_iter().rev() {
            let name = c.get_column_name();
            m.alter_table(Table::alter().table(a(t)).drop_column(a(&name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
