//! A routing queue: which tickets it takes (channels, priorities, a tag, a
//! team), who may get them (the team's members with the queue's skills), how one
//! is picked (the strategy), when (a business-hours schedule) and how the pool
//! widens when nobody takes a ticket in time (overflow).

use sea_orm::entity::prelude::*;

/// A `routing_queues` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_queues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// Matching order (a ticket joins the first queue that matches).
    pub position: i32,
    /// Comma-separated channels (empty: any).
    pub channels: String,
    /// Comma-separated priorities (empty: any).
    pub priorities: String,
    /// Tickets carrying this tag (empty: any).
    pub tag: String,
    /// Tickets of this team, whose members form the pool (none: every agent).
    pub team_id: Option<i32>,
    /// Tickets of this segment's customers (none: any customer).
    pub segment_id: Option<i32>,
    /// Comma-separated skills every agent in the pool must have.
    pub skills: String,
    /// `round_robin`, `load_balanced`, `skill_match` or `priority_weighted`.
    pub strategy: String,
    /// Assign only while this schedule is open (none: any time).
    pub schedule_id: Option<i32>,
    /// Widen the pool after a ticket waited this long (none: never).
    pub overflow_after_mins: Option<i32>,
    /// The wider pool (none: every agent, skills not required).
    pub overflow_team_id: Option<i32>,
    pub enabled: bool,
    /// The member the rotation gave the last ticket to (round robin).
    pub rotation_user_id: Option<i32>,
    /// Tickets routed by this queue (also the row every router of the queue
    /// updates first, so concurrent routers take turns).
    pub routed_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
