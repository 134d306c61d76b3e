//! What reports add up about one live conversation, kept by database triggers
//! (migration `m20270103_000038_report_facts`); never written by the app.

use sea_orm::entity::prelude::*;

/// A `report_facts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: i32,
    pub workspace_id: i32,
    /// Creation time in epoch seconds.
    pub created: i64,
    pub customer_id: i32,
    pub channel: String,
    pub priority: String,
    pub status: String,
    pub assignee_id: Option<i32>,
    pub team_id: Option<i32>,
    /// Seconds from creation to the first reply.
    pub first_secs: Option<i64>,
    /// Seconds from creation to solving.
    pub solve_secs: Option<i64>,
    /// 1 when the AI agent resolved it.
    pub ai: i32,
    /// 1 when an SLA policy applies.
    pub sla: i32,
    /// 1 when that policy was breached.
    pub breached: i32,
    /// The survey rating, 1–5.
    pub rating: Option<i32>,
    /// Agents' public replies.
    pub replies: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
