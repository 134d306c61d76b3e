//! A transcript of an audio or video attachment, or of a call's recording:
//! `queued` → `processing` → `completed` (with the text) or `error` (with why).

use sea_orm::entity::prelude::*;

/// A `transcripts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transcripts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    /// The attachment transcribed (or the call, below).
    pub attachment_id: Option<i32>,
    /// The call whose recording was transcribed.
    pub phone_call_id: Option<i32>,
    /// The provider's transcript id, once submitted.
    pub provider_id: Option<String>,
    /// `queued`, `processing`, `completed`, `error`.
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub text: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Length of the audio, as the provider measured it.
    pub audio_seconds: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
