//! A conversation (ticket), numbered per workspace (`TKT-000123`).

use sea_orm::entity::prelude::*;

/// A `conversations` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub number: i32,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub customer_id: i32,
    pub assignee_id: Option<i32>,
    pub team_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub custom_fields: String,
    pub first_response_at: Option<DateTimeUtc>,
    pub solved_at: Option<DateTimeUtc>,
    pub merged_into_id: Option<i32>,
    pub split_from_id: Option<i32>,
    pub preview: String,
    /// Unguessable token of the customer-facing page of this conversation.
    pub public_token: String,
    pub message_count: i32,
    pub last_message_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Last message the customer has seen (read receipts in the widget).
    pub customer_read_message_id: Option<i32>,
    /// Last message an agent has seen.
    pub agent_read_message_id: Option<i32>,
    /// What the AI agent did last: `answered`, `escalated` or `resolved`.
    pub ai_state: Option<String>,
    /// Reason code of the AI's escalation (`refund`, `legal`, `no_kb_match`, ...).
    pub ai_reason: Option<String>,
    /// Consecutive customer messages the knowledge base had no answer for.
    pub ai_kb_misses: i32,
    /// When the AI last answered the customer.
    pub ai_answered_at: Option<DateTimeUtc>,
    /// When the AI's answer counted as a resolution (confirmed, or 72 h quiet).
    pub ai_resolved_at: Option<DateTimeUtc>,
    /// The SLA policy whose targets the ticket has.
    pub sla_policy_id: Option<i32>,
    /// First reply due (business time of the policy's schedule).
    pub first_response_due_at: Option<DateTimeUtc>,
    /// Next reply due (the customer wrote again after a reply).
    pub next_response_due_at: Option<DateTimeUtc>,
    /// Solved due.
    pub resolution_due_at: Option<DateTimeUtc>,
    /// When the sweep last warned about the nearest target.
    pub sla_warned_at: Option<DateTimeUtc>,
    /// When the sweep last marked a target breached.
    pub sla_breached_at: Option<DateTimeUtc>,
    /// The routing queue the ticket waits in (or was routed by).
    pub queue_id: Option<i32>,
    /// When it joined the queue.
    pub queued_at: Option<DateTimeUtc>,
    /// When routing assigned it.
    pub routed_at: Option<DateTimeUtc>,
    /// When the queue's overflow widened its pool.
    pub overflowed_at: Option<DateTimeUtc>,
    /// The resolution clock stopped at this moment (pending or on hold).
    pub sla_paused_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
