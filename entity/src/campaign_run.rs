//! A customer's run through a campaign: pinned to the version it entered on,
//! with its current step, variables and status (the engine's state, so a run
//! resumes after a restart).

use sea_orm::entity::prelude::*;

/// A `campaign_runs` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub flow_id: i32,
    /// The published version it runs (never changes).
    pub version: i32,
    pub customer_id: i32,
    /// The current step's id.
    pub node: String,
    /// `waiting_timer`, `done`, or `skipped` (a member when the campaign began,
    /// left out because it enrols new members only).
    pub status: String,
    /// The run's variables (JSON object of strings).
    #[sea_orm(column_type = "Text")]
    pub vars: String,
    /// Steps taken.
    pub steps: i32,
    /// Bumped whenever a timer starts; a timer job for an older number is stale.
    pub timer_seq: i32,
    /// When the current Wait ends.
    pub wake_at: Option<DateTimeUtc>,
    pub started_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
