//! Voice calls (SPEC C4.6): the workspace's voice-agent account (a
//! Retell-compatible API; key sealed at rest), and each call with its
//! conversation, transcript, recording link, summary and retention.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "voice_accounts",
            &[
                Text("api_key"),
                StrNull("api_base"),
                StrNull("agent_id"),
                Str("hook_token"),
                Int("retention_days"),
                Bool("provider_summary"),
                Text("agent_config"),
                TimeNull("synced_at"),
                TextNull("sync_error"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "voice_accounts",
            "ux_voice_accounts_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "voice_accounts",
            "ux_voice_accounts_hook_token",
            &["hook_token"],
            true,
        ))
        .await?;
        let mut calls = table(
            "phone_calls",
            &[
                Str("call_id"),
                Int("conversation_id"),
                Str("direction"),
                StrNull("from_number"),
                StrNull("to_number"),
                Str("status"),
                TimeNull("started_at"),
                TimeNull("ended_at"),
                BigInt("duration_ms"),
                TextNull("recording_url"),
                TimeNull("recording_deleted_at"),
                TextNull("transcript"),
                TextNull("summary"),
                StrNull("summary_source"),
                StrNull("sentiment"),
                StrNull("disconnection_reason"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut calls,
            "phone_calls",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(calls).await?;
        m.create_index(index(
            "phone_calls",
            "ux_phone_calls_call_id",
            &["workspace_id", "call_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "phone_calls",
            "ix_phone_calls_recording",
            &["recording_deleted_at", "ended_at"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["phone_calls", "voice_accounts"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
