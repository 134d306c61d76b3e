//! One tool action proposed by the AI agent, a member, a rule or an MCP client,
//! with its policy decision, approval and outcome (`proposed → pending → running →
//! completed | failed`, or `rejected` / `denied`).

use sea_orm::entity::prelude::*;

/// An `ai_actions` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub tool: String,
    /// Canonical JSON (sorted keys).
    #[sea_orm(column_type = "Text")]
    pub input: String,
    /// Hash of workspace, proposer, tool and canonical input.
    pub idempotency_key: String,
    pub risk: String,
    /// Money involved, in minor units (0 when none).
    pub amount: i64,
    pub conversation_id: Option<i32>,
    pub customer_id: Option<i32>,
    pub channel: Option<String>,
    /// `ai`, `member`, `rule` or `mcp`.
    pub proposed_by_kind: String,
    pub proposed_by_user_id: Option<i32>,
    pub proposed_by_label: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reasoning: Option<String>,
    /// Told to the customer once it ran (requests the customer made).
    #[sea_orm(column_type = "Text", nullable)]
    pub customer_note: Option<String>,
    pub status: String,
    /// `allow`, `deny` or `approval`.
    pub decision: String,
    #[sea_orm(column_type = "Text")]
    pub decision_reason: String,
    pub policy_id: Option<i32>,
    pub approver_user_id: Option<i32>,
    pub approver_label: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub approval_comment: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub output: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
