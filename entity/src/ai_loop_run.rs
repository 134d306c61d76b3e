//! One cycle of the autonomous loop (SPEC C6.7): what it looked at and did.

use sea_orm::entity::prelude::*;

/// An `ai_loop_runs` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_loop_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// JSON: counts of what was reviewed.
    #[sea_orm(column_type = "Text")]
    pub looked_at: String,
    /// JSON: a list of sentences, one per thing done.
    #[sea_orm(column_type = "Text")]
    pub did: String,
    pub proposals: i32,
    pub errors: i32,
    pub backoff_secs: i32,
    /// The earliest time the next cycle may run.
    pub next_run_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
