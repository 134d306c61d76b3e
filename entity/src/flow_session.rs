//! A conversation's run through a flow: pinned to the version it started on, with
//! its current step, variables and status (the engine's state, so a run resumes
//! after a restart).

use sea_orm::entity::prelude::*;

/// A `flow_sessions` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flow_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub flow_id: i32,
    /// The published version it runs (never changes).
    pub version: i32,
    pub conversation_id: i32,
    /// The channel it runs on (`chat`, `form`, `email` …).
    pub channel: String,
    /// The current step's id.
    pub node: String,
    /// `waiting_input`, `waiting_timer`, `waiting_ai`, `waiting_event`,
    /// `handed_off`, `done`.
    pub status: String,
    /// The run's variables (JSON object of strings).
    #[sea_orm(column_type = "Text")]
    pub vars: String,
    /// Steps taken.
    pub steps: i32,
    /// Bumped whenever a timer starts; a timer job for an older number is stale.
    pub timer_seq: i32,
    /// When the current timer (a Wait, a question's timeout) fires.
    pub wake_at: Option<DateTimeUtc>,
    pub started_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// `chatbot` (a conversation with a customer) or `workflow` (a run on a
    /// ticket).
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
