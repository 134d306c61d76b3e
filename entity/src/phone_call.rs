//! A phone call handled by the voice agent: its conversation, transcript,
//! recording link (until the retention period ends) and summary.

use sea_orm::entity::prelude::*;

/// A `phone_calls` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "phone_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// The provider's call id.
    pub call_id: String,
    pub conversation_id: i32,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
    /// `started`, `ended` or `analyzed`.
    pub status: String,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub duration_ms: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub recording_url: Option<String>,
    pub recording_deleted_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub transcript: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    /// `provider` or `built-in`.
    pub summary_source: Option<String>,
    pub sentiment: Option<String>,
    pub disconnection_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
