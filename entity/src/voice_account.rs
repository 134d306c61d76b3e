//! A workspace's voice-agent account (a Retell-compatible API): the key that
//! also signs its webhooks (sealed with the server's secrets key), the agent
//! that answers calls and its settings, and how long recordings are kept.

use sea_orm::entity::prelude::*;

/// A `voice_accounts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voice_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// Sealed (`secrets::SecretBox`).
    #[sea_orm(column_type = "Text")]
    pub api_key: String,
    /// API base when not the provider's own.
    pub api_base: Option<String>,
    /// The voice agent that answers (synced by the agent job).
    pub agent_id: Option<String>,
    /// Secret path token of `/hooks/retell/{token}`.
    pub hook_token: String,
    /// Days a call's recording is kept.
    pub retention_days: i32,
    /// Use the provider's call summary when it sends one.
    pub provider_summary: bool,
    /// Agent settings pushed by the sync job (JSON object).
    #[sea_orm(column_type = "Text")]
    pub agent_config: String,
    pub synced_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub sync_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
