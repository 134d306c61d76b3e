//! An action policy rule: allow, deny or require approval for the AI agent's (and
//! members') tool actions that match it; rules are tried in `position` order.

use sea_orm::entity::prelude::*;

/// An `ai_policies` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub position: i32,
    pub name: String,
    /// `allow`, `deny` or `approval`.
    pub effect: String,
    /// A tool name; `None` matches every tool.
    pub tool: Option<String>,
    /// `low`, `medium` or `high`: matches actions at least this risky.
    pub min_risk: Option<String>,
    /// Matches actions whose amount (minor units) is above this; 0 = any amount.
    pub amount_over: i64,
    /// Matches actions on a conversation carrying this tag.
    pub segment_tag: Option<String>,
    /// Only conversations whose customer is in this segment (none: anyone).
    pub segment_id: Option<i32>,
    /// Matches actions on this channel.
    pub channel: Option<String>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
