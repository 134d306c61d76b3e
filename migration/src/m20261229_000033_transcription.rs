//! Transcription (SPEC C16): the workspace's speech-to-text account (an
//! AssemblyAI-compatible API; key and webhook secret sealed at rest), and
//! each transcript of an audio or video attachment or of a call's recording,
//! with its processing status.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "transcription_accounts",
            &[
                Text("api_key"),
                StrNull("api_base"),
                Str("hook_token"),
                Text("hook_secret"),
                StrNull("language_code"),
                Bool("attachments"),
                Bool("calls"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "transcription_accounts",
            "ux_transcription_accounts_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "transcription_accounts",
            "ux_transcription_accounts_hook_token",
            &["hook_token"],
            true,
        ))
        .await?;
        let mut t = table(
            "transcripts",
            &[
                Int("conversation_id"),
                IntNull("attachment_id"),
                IntNull("phone_call_id"),
                StrNull("provider_id"),
                Str("status"),
                TextNull("text"),
                TextNull("error"),
                IntNull("audio_seconds"),
                Time("created_at"),
                Time("updated_at"),
                TimeNull("completed_at"),
            ],
        );
        fk(
            &mut t,
            "transcripts",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "transcripts",
            "ux_transcripts_attachment",
            &["attachment_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "transcripts",
            "ux_transcripts_call",
            &["phone_call_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "transcripts",
            "ix_transcripts_provider",
            &["workspace_id", "provider_id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["transcripts", "transcription_accounts"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
