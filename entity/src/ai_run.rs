//! One run of the AI agent on a conversation: every step, the decision and its cost.

use sea_orm::entity::prelude::*;

/// A `ai_runs` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    pub message_id: Option<i32>,
    pub purpose: String,
    pub decision: String,
    pub reason_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub steps: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reply_text: Option<String>,
    pub sent: bool,
    pub reply_message_id: Option<i32>,
    pub engine: String,
    pub tokens_in: i32,
    pub tokens_out: i32,
    pub cost_micros: i64,
    pub duration_us: i64,
    pub provider_ms: i32,
    pub created_at: DateTimeUtc,
    pub confidence: f64,
    pub sentiment: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
