//! A workspace's speech-to-text account (an AssemblyAI-compatible API): the
//! key (sealed with the server's secrets key), the secret its webhooks must
//! carry (sealed too), and what gets transcribed.

use sea_orm::entity::prelude::*;

/// A `transcription_accounts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transcription_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// Sealed (`secrets::SecretBox`).
    #[sea_orm(column_type = "Text")]
    pub api_key: String,
    /// API base when not the provider's own.
    pub api_base: Option<String>,
    /// Secret path token of `/hooks/transcripts/{token}`.
    pub hook_token: String,
    /// Sealed value of the header each webhook must carry.
    #[sea_orm(column_type = "Text")]
    pub hook_secret: String,
    /// Spoken language (`en`, `de` …); none: detected.
    pub language_code: Option<String>,
    /// Transcribe customers' audio and video attachments.
    pub attachments: bool,
    /// Transcribe call recordings that come without a transcript.
    pub calls: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
