//! A workspace's AI agent settings (provider, sealed key, channels, thresholds).

use sea_orm::entity::prelude::*;

/// A `ai_settings` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub enabled: bool,
    #[sea_orm(column_type = "Text")]
    pub channels: String,
    pub auto_send_threshold: i32,
    pub provider: String,
    pub base_url: Option<String>,
    pub chat_model: Option<String>,
    pub embedding_model: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub api_key_sealed: Option<String>,
    pub api_key_hint: Option<String>,
    pub timeout_secs: i32,
    pub price_input_micros: i64,
    pub price_output_micros: i64,
    pub tone: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub answer_threshold: f64,
    /// What happens to an action no policy matches: `allow`, `deny` or `approval`.
    pub action_default: String,
    /// The autonomous loop reviews open work on a schedule.
    pub loop_enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
